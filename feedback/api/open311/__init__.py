"""Open311 GeoReport v2 under /api/v1/open311, in JSON and XML.

- ``base``: the blueprint, errors in the specification's format, routing under both
  extensions.
- ``rendering``: the XML (ElementTree) and the choice of format.
- ``attributes``: the service definitions' ``attribute[code]`` values on a POST.
- ``services``: GET services, GET a service definition, the discovery document.
- ``service_requests``: POST requests, GET requests, GET one request.

The capability registers ``blp`` (core.capabilities); the two view modules are imported here,
explicitly, so that their routes are on it before it is registered.
"""

from __future__ import annotations

from feedback.api.open311 import service_requests, services
from feedback.api.open311.base import blp

__all__ = ["blp", "service_requests", "services"]
