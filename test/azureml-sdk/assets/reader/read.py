"""Reads the data asset a job got as input (a folder) and prints what it holds."""

import argparse
import os

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True)
args = parser.parse_args()
for name in sorted(os.listdir(args.data)):
    with open(os.path.join(args.data, name)) as f:
        print(f"{name}: {len(f.read().splitlines())} lines", flush=True)
print("read done", flush=True)
