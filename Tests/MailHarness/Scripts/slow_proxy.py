"""A TCP proxy that delays every chunk by DELAY_MS in each direction, so that each round
trip through it takes twice that: a slow but answering server for the tests.

usage: slow_proxy.py ADDRESS PORT TARGET_ADDRESS TARGET_PORT DELAY_MS
Prints READY when listening.
"""
import asyncio
import sys


async def pipe(reader, writer, delay):
    queue = asyncio.Queue()

    async def deliver():
        while True:
            due, data = await queue.get()
            await asyncio.sleep(max(0, due - asyncio.get_running_loop().time()))
            if data is None:
                writer.write_eof() if writer.can_write_eof() else writer.close()
                return
            writer.write(data)
            await writer.drain()

    task = asyncio.create_task(deliver())
    while True:
        data = await reader.read(65536)
        queue.put_nowait((asyncio.get_running_loop().time() + delay, data or None))
        if not data:
            break
    await task


async def main():
    address, port, target, target_port, delay = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]) / 1000

    async def handle(client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.open_connection(target, target_port)
            await asyncio.gather(pipe(client_reader, server_writer, delay), pipe(server_reader, client_writer, delay))
        except OSError:
            pass
        finally:
            client_writer.close()

    server = await asyncio.start_server(handle, address, port)
    print("READY", flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
