"""The light fill path: the share-link survey as plain server-rendered HTML for old browsers and weak links."""
