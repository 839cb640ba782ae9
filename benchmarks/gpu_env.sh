# Sourced by the GPU scripts (gpu_check.sh, gpu_finetune.sh, gpu_compare.sh), from the repository
# root: installs the wheels the GPU image lacks (trimesh, embreex and pytorch-msssim, made on the
# workstation into $WHEELS, .whl by default; WHEELS=none skips them) into /tmp/site, and points
# Python at them and at src/.
WHEELS=${WHEELS:-.whl}
if ls "$WHEELS"/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site "$WHEELS"/*.whl || exit 1
  export PYTHONPATH=/tmp/site:$PWD/src
else
  export PYTHONPATH=$PWD/src
fi
export PYTHONUNBUFFERED=1
nv="python3 -m novelview.cli"
