#!/usr/bin/python3
# An ASCII instrument that is not polegate's code: pyserial (Debian's python3-serial) on one end of a
# pty pair, answering each "MEAS?\r\n" with the next of the lines given, in turn. Prints "serving"
# once the port is open.
import argparse
import json
import sys

import serial

parser = argparse.ArgumentParser()
parser.add_argument('--port', required=True)
parser.add_argument('--request', default='MEAS?\r\n')
parser.add_argument('--lines', required=True, help='JSON list of answer lines, without terminator')
args = parser.parse_args()
lines = json.loads(args.lines)
request = args.request.encode('latin-1')

port = serial.Serial(args.port, 9600, timeout=0.2)
print('serving', flush=True)
pending = b''
answered = 0
while True:
    pending += port.read(64)
    while request in pending:
        pending = pending[pending.index(request) + len(request):]
        port.write((lines[answered % len(lines)] + '\r\n').encode('latin-1'))
        port.flush()
        answered += 1
    pending = pending[-len(request):]
