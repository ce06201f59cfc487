"""Two pipeline steps: `prep` writes a file into its output folder, `train` reads it from its input."""

import os
import sys

step = sys.argv[1]
if step == "prep":
    out, n = sys.argv[2], int(sys.argv[3])
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "rows.txt"), "w") as f:
        f.write("".join(f"row {i}\n" for i in range(n)))
    print(f"prep wrote {n} rows", flush=True)
else:
    data, out = sys.argv[2], sys.argv[3]
    with open(os.path.join(data, "rows.txt")) as f:
        rows = f.read().splitlines()
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "model.txt"), "w") as f:
        f.write(f"trained on {len(rows)} rows\n")
    print(f"train read {len(rows)} rows", flush=True)
