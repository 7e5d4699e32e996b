"""Share links: tokens, link states, QR codes and printable sheets."""
