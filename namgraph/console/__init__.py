"""The web console: a page at ``/`` whose buttons download the report files of ``/reports``.

The page and its two static files (``/console/console.js``, ``/console/console.css``) hold no
data and need no token; the files they fetch go through the gate with the token the reader
types in. Everything the page uses comes from this server (CSP ``default-src 'self'``)."""

from namgraph.console.page import router

__all__ = ["router"]
