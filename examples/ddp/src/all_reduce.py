"""A two-node all-reduce over TCP, the way torch.distributed's gloo backend rendezvouses:
every rank connects to MASTER_ADDR:MASTER_PORT, rank 0 sums everyone's value and sends it back.
Written without torch so it runs anywhere Debian's python3 does; with python3-torch installed,
torch.distributed.init_process_group("gloo") reads the same variables."""
import os, socket, time
rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
addr, port = os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"])
value = rank + 1
if rank == 0:
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", port))
    srv.listen()
    total, conns = value, []
    for _ in range(world - 1):
        c, _ = srv.accept()
        total += int(c.recv(64).decode())
        conns.append(c)
    for c in conns:
        c.sendall(str(total).encode())
        c.close()
else:
    for _ in range(300):
        try:
            s = socket.create_connection((addr, port), timeout=5)
            break
        except OSError:
            time.sleep(0.1)
    s.sendall(str(value).encode())
    total = int(s.recv(64).decode())
print(f"rank {rank} of {world} (node {os.environ['NODE_RANK']}, local {os.environ['LOCAL_RANK']}): sum {total}", flush=True)
