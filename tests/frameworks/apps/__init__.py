"""Small apps in real frameworks, each with the same routes, for the framework tests.

    GET  /hello      a text body and a Set-Cookie header
    POST /echo?q=    the JSON body and the query back, as JSON
    GET  /stream     CHUNKS chunks, CHUNK_DELAY seconds apart
    GET  /missing    a 404
"""

CHUNKS = 4
CHUNK_DELAY = 0.3
