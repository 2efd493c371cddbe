"""A Modbus server from Debian's pymodbus (python3-pymodbus 3.0), an independent peer for tests and
benches. Run with /usr/bin/python3 (the python3 on PATH may not see Debian's packages):

  /usr/bin/python3 test/peers/pymodbus-server.py --tcp PORT --units JSON
  /usr/bin/python3 test/peers/pymodbus-server.py --rtu /tmp/x/ttyA --baud 9600 --units JSON

--units maps unit ids to tables, each a list of values from address 0 (0-based, zero_mode), or
{"at": N, "values": [...]} for a block starting at address N:
  '{"1": {"holding": [1, 2], "input": [3], "coil": [1, 0], "discrete": [0, 1]}, "2": {"holding": {"at": 100, "values": [7]}}}'
A table that is not given is one zero value at address 0. Unit ids not listed are absent: silent on RTU (as on
RS-485); over TCP pymodbus answers exception 11 (gateway target failed to respond) unless
--silent-missing. Prints one line when serving: `listening PORT` (TCP; PORT 0 picks a free one)
or `serving PATH` (RTU), then runs until SIGTERM or SIGINT, or until its stdin closes (so a parent
that dies without stopping it leaves no server behind).
"""
import argparse
import asyncio
import json
import os
import signal
import sys

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.framer.rtu_framer import ModbusRtuFramer
from pymodbus.server.async_io import ModbusSerialServer, ModbusTcpServer

TABLES = {"holding": "hr", "input": "ir", "coil": "co", "discrete": "di"}


def block_of(spec):
    if isinstance(spec, dict):
        return ModbusSequentialDataBlock(spec["at"], list(spec["values"]))
    return ModbusSequentialDataBlock(0, list(spec))


def context_of(units):
    slaves = {}
    for unit, tables in units.items():
        blocks = {key: block_of(tables.get(name, [0])) for name, key in TABLES.items()}
        slaves[int(unit)] = ModbusSlaveContext(**blocks, zero_mode=True)
    return ModbusServerContext(slaves=slaves, single=False)


async def main():
    parser = argparse.ArgumentParser()
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--tcp", type=int, metavar="PORT")
    where.add_argument("--rtu", metavar="PATH")
    parser.add_argument("--baud", type=int, default=9600)
    parser.add_argument("--units", required=True, help="JSON: unit id -> table -> values")
    parser.add_argument("--silent-missing", action="store_true")
    args = parser.parse_args()

    context = context_of(json.loads(args.units))
    stop = asyncio.get_running_loop().create_future()
    loop = asyncio.get_running_loop()
    done = lambda: stop.done() or stop.set_result(None)
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, done)
    loop.add_reader(sys.stdin.fileno(), lambda: os.read(sys.stdin.fileno(), 4096) or done())

    if args.tcp is not None:
        server = ModbusTcpServer(context, address=("127.0.0.1", args.tcp), ignore_missing_slaves=args.silent_missing, allow_reuse_address=True)
        task = asyncio.create_task(server.serve_forever())
        await server.serving
        print(f"listening {server.server.sockets[0].getsockname()[1]}", flush=True)
        await stop
        await server.server_close()
        task.cancel()
    else:
        server = ModbusSerialServer(context, framer=ModbusRtuFramer, port=args.rtu, baudrate=args.baud, ignore_missing_slaves=True)
        await server.start()
        if server.transport is None:
            raise SystemExit(f"cannot open {args.rtu}")
        print(f"serving {args.rtu}", flush=True)
        await stop
        await server.shutdown()


asyncio.run(main())
