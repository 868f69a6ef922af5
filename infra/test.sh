#!/usr/bin/env bash
# The whole test suite on a fresh Debian machine: installs and starts what the tests use, then runs them.
# Safe to run again: packages already installed and services already running are reused.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# Peers nobody here wrote (see ../shared/PEERS.md; dicom3tools' dciodvfy validates the SR and captures we write), GDCM for compressed pixel data (libgdcm-cil, loaded at run time),
# PyTorch and ONNX for the training smoke test, the services of the distributed mode, and Prometheus (promtool checks
# every /metrics; the server scrapes a distributed run), and Chromium for the console's browser tests.
packages=(dcmtk dicom3tools libgdcm-tools libgdcm-cil python3-gdcm libopenjp2-7 libturbojpeg0 libopenjp2-tools openjph-tools orthanc python3-pydicom python3-numpy python3-pil python3-sklearn python3-torch python3-torchvision python3-onnx postgresql rabbitmq-server prometheus chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "infra/test.sh: installing ${missing[*]}"
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

./infra/services.sh start

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
# Restore first, then refuse a package that resolved to another version than its pin (NuGet would take the next one
# silently when the registry lacks the pinned version).
dotnet restore MuraPipeline.sln
python3 infra/check-pins.py

set +e
dotnet test MuraPipeline.sln -c Release --no-restore --logger "trx" --results-directory "$results" 2>&1 | tee "$results/log.txt"
status=${PIPESTATUS[0]}
# The vector code again with AVX-512 off (what an AVX2-only machine runs), then with AVX2 off too (the 128-bit and
# scalar fallbacks): the imaging tests and the wavelet's, held to the same outputs. .NET 10 reads DOTNET_EnableAVX512;
# DOTNET_EnableAVX512F, the older name, no longer turns it off on its own.
for narrower in "DOTNET_EnableAVX512=0 DOTNET_EnableAVX512F=0" "DOTNET_EnableAVX512=0 DOTNET_EnableAVX512F=0 DOTNET_EnableAVX2=0"; do
  if ((status == 0)); then
    env $narrower dotnet test tests/MuraPipeline.Imaging.Tests -c Release --no-build --logger "trx" --results-directory "$results" 2>&1 | tee -a "$results/log.txt"
    status=${PIPESTATUS[0]}
  fi
  if ((status == 0)); then
    env $narrower dotnet test tests/MuraPipeline.Dicom.Tests -c Release --no-build --filter "FullyQualifiedName~Jpeg2000Tests" --logger "trx" --results-directory "$results" 2>&1 | tee -a "$results/log.txt"
    status=${PIPESTATUS[0]}
  fi
done
set -e

# What broke, last, where a log read from its end shows it; then one closing line for the whole suite, summed over the test assemblies.
python3 infra/failed-tests.py "$results"
awk '/^(Passed|Failed)!/ { for (i = 1; i <= NF; i++) { v = $(i+1); gsub(/,/, "", v); if ($i == "Failed:") f += v; if ($i == "Passed:") p += v; if ($i == "Skipped:") s += v } }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$results/log.txt"
exit "$status"
