"""Web UIs served by the edge: customer kiosk, staff handheld and manager dashboard.

Pages are server-rendered shells (Jinja2) with a small vanilla-JS script each; the scripts call the
edge's JSON API with the device's bearer token. Everything is served by the edge: no CDN, no
internet, so the store LAN keeps working through an outage.
"""
