"""A WebSocket echo server on 127.0.0.1 for the tungstenite suite: echoes every message.
Debian's python3-websockets (10.4): run it with /usr/bin/python3."""
import asyncio
import sys

import websockets


async def echo(websocket, _path=None):
    async for message in websocket:
        await websocket.send(message)


async def main(port):
    async with websockets.serve(echo, "127.0.0.1", port, max_size=None):
        await asyncio.Future()


asyncio.run(main(int(sys.argv[1])))
