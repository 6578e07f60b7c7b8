#!/bin/sh
# Installs Debian's PyTorch (CPU) for bench/hgn_step_torch.py, the baseline of bench/hgn_step_bench.ts.
# Run by hand before the benchmark; never from CI.
set -eu
if /usr/bin/python3 -c "import torch" 2>/dev/null; then
  echo "python3-torch already installed: $(/usr/bin/python3 -c 'import torch; print(torch.__version__)')"
  exit 0
fi
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-torch
/usr/bin/python3 -c 'import torch; print("torch", torch.__version__)'
