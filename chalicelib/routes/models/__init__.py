"""pydantic models of the HTTP API, one module per aggregate: query strings, request bodies and
responses. The same models validate requests, shape responses and generate `GET /api/openapi.json`.

    text      the text rule for every request field, and the JSON Schema patching that says it
    common    money, whole numbers, days, paging, and `RequestModel`, the base of every request model
    orders, products, purchasing, profit, sync, session: each aggregate's models
"""
