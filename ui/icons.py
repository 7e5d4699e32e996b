"""The tab icon, drawn inline so that no page asks another host for it; why resident pages show no icons."""

# Streamlit turns an SVG string into a data: URL the browser shows without a request. A
# ":material/...:" page icon made every page's frontend fetch the icon from fonts.gstatic.com,
# which many networks in mainland China cannot reach.
PAGE_ICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">'
    '<path fill="#c8161d" d="M3 13h18v8H3z"/>'
    '<path fill="#fff" stroke="#c8161d" stroke-width="1.5" d="M7 3h10v11H7z"/>'
    '<path fill="none" stroke="#c8161d" stroke-width="2" d="M9 8.5l2 2 4-4.5"/>'
    '<path fill="#fff" d="M6 14.5h12v1.5H6z"/>'
    "</svg>"
)

# Resident pages (the fill page) show no icons: any ":material/...:" icon makes the browser
# download the whole Material Symbols font (366 KB compressed, more than the rest of the fill
# page's frontend code), and an emoji the listed fonts lack makes it download Streamlit's
# Source Sans (166 KB) to look for the glyph there. tests/core/test_browser_transport.py
# checks that a fill page load fetches no font.
