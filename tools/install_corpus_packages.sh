#!/usr/bin/env bash
# install_corpus_packages.sh — installs the Debian packages the built-in corpus is made from, when
# missing: the King James Bible (bible-kjv), the Python 3.11 documentation sources (python3.11-doc),
# the Jargon File (jargon-text); the Python standard library comes with python3.
set -euo pipefail
packages=(bible-kjv bible-kjv-text python3.11-doc jargon-text libpython3.11-stdlib)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "corpus: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq "${missing[@]}"
