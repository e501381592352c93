"""How long a fresh process takes to have a ready ``gbg_go.Runtime()``, the
compiled component coming from the compile cache (one run first warms it):

    python bench/startup.py [runs]

Prints the median and the slowest of ``import gbg_go`` plus ``Runtime()``
measured inside each process, and of the whole process (interpreter start
and exit included), in milliseconds.
"""

import statistics
import subprocess
import sys
import time

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 20
INSIDE = """
import time
began = time.perf_counter()
import gbg_go
gbg_go.Runtime()
print((time.perf_counter() - began) * 1000)
"""

subprocess.run([sys.executable, "-c", INSIDE], check=True, capture_output=True)  # warms the cache
inside, whole = [], []
for _ in range(RUNS):
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", INSIDE], check=True, capture_output=True, text=True)
    whole.append((time.perf_counter() - began) * 1000)
    inside.append(float(done.stdout))
for name, measured in [("import gbg_go + Runtime()", inside), ("whole process", whole)]:
    print(f"{name}: median {statistics.median(measured):.0f} ms, slowest {max(measured):.0f} ms ({RUNS} runs)")
