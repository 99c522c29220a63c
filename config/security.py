"""Headers every page of Pixel carries (issue 16, item 14; README, "Operations").

- **Content-Security-Policy** (PIXEL_CSP): scripts, styles, fonts and everything else from Pixel's
  own origin only, images also as data: URLs (the authenticator set-up QR code), sockets to the
  same host, no plugins, no framing, forms posting only here. No inline script or style is
  allowed, so text that slips through escaping still cannot run. The browser tests fail on any
  violation a page reports (tests/browser/conftest.py).
- **Cache-Control: no-store** on every response Django renders: pages, recordings, transcripts
  and exports hold clinical content, and neither a shared computer's browser cache nor a proxy
  should keep a copy. Static files (served before this middleware) keep their long caching.
"""

from django.conf import settings
from django.utils.cache import patch_cache_control


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.PIXEL_CSP:
            response.headers.setdefault("Content-Security-Policy", settings.PIXEL_CSP)
        patch_cache_control(response, no_store=True, private=True)
        return response
