"""The REST API: metal-api-compatible ``/v1`` resources and go-ipam's ``api.v1.IpamService`` over JSON.

:func:`metalnet.api.app.create_app` builds the Litestar application around an open storage;
:func:`metalnet.api.server.serve` runs it under uvicorn.
"""
