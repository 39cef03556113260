#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter (Lava needs exactly 3.10), or fail with one sentence.
set -u
is310() { [ -x "$1" ] && "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; }
for cand in "${PYTHON310:-}" \
            "$(command -v pyenv >/dev/null 2>&1 && pyenv prefix "$(pyenv versions --bare 2>/dev/null | grep -E '^3\.10(\.[0-9]+)?$' | tail -n 1)" 2>/dev/null)/bin/python3.10" \
            "$(command -v python3.10 2>/dev/null)" /usr/bin/python3.10 /usr/local/bin/python3.10; do
    if [ -n "$cand" ] && is310 "$cand"; then echo "$cand"; exit 0; fi
done
echo "error: no Python 3.10 found (Lava needs Python 3.10): install it (e.g. 'pyenv install 3.10.13') or set PYTHON310=/path/to/python3.10" >&2
exit 1
