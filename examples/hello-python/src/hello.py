"""A dependency-free job: prints, logs a metric per step, writes ./outputs/result.txt."""
import argparse
import os

import hangar_log


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--greeting", default="hello")
    args = parser.parse_args()
    print(args.greeting, "| mode:", os.environ.get("HELLO_MODE", "?"), flush=True)
    hangar_log.log_param("steps", args.steps)
    total = 0
    for step in range(args.steps):
        total += step
        hangar_log.log_metric("total", total, step=step)
        print(f"step {step}: total={total}", flush=True)
    os.makedirs("outputs", exist_ok=True)
    with open(os.path.join("outputs", "result.txt"), "w") as f:
        f.write(f"{total}\n")


if __name__ == "__main__":
    main()
