"""A small training script the SDK uploads as the job's code (./src)."""

import argparse
import os
import time

parser = argparse.ArgumentParser()
parser.add_argument("--n", type=int, default=1)
parser.add_argument("--sleep", type=float, default=0)
args = parser.parse_args()
for i in range(args.n):
    print(f"epoch {i + 1} of {args.n}", flush=True)
time.sleep(args.sleep)
os.makedirs("outputs", exist_ok=True)
with open("outputs/result.txt", "w") as f:
    f.write(f"trained for {args.n} epochs\n")
print("training done", flush=True)
