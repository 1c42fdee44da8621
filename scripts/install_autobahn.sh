#!/usr/bin/env bash
# Installs Autobahn|Testsuite (wstest, Python 2.7 only) into its own virtualenv, for
# benchmarks/autobahn_speed.py. Needs a CPython 2.7 interpreter: $PYTHON2, python2.7 on PATH,
# or pyenv's 2.7.18. Prints the path of wstest on success; exits non-zero with one line on
# stderr naming what is missing otherwise.
#
#     scripts/install_autobahn.sh [VENV]     (default: ~/.cache/wsspec/autobahn-py27)
#
# autobahntestsuite 25.10.1 pins its direct dependencies (autobahn 0.10.9, Twisted 19.10,
# txaio 2.1, ...); their own dependencies are pinned here to the last releases that still
# install on Python 2.7. wsaccel (C masking and UTF-8 validation) is installed when it
# builds: without it Autobahn runs slower and the comparison would flatter wsspec.
set -euo pipefail

venv="${1:-${HOME}/.cache/wsspec/autobahn-py27}"
# Written last, so that a half-finished install is redone rather than used.
done_mark="${venv}/.wsspec-autobahn-installed"
if [[ -f "${done_mark}" && -x "${venv}/bin/wstest" ]]; then
    echo "${venv}/bin/wstest"
    exit 0
fi

# A pyenv shim named python2.7 may exist without a 2.7 behind it: each candidate must run.
is_py27() { [[ -n "$1" ]] && "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (2, 7))' >/dev/null 2>&1; }
python2=""
for candidate in "${PYTHON2:-}" \
        "$(command -v pyenv >/dev/null 2>&1 && echo "$(pyenv root)/versions/2.7.18/bin/python")" \
        "$(command -v python2.7 || true)"; do
    if is_py27 "${candidate}"; then
        python2="${candidate}"
        break
    fi
done
if [[ -z "${python2}" ]]; then
    echo "install_autobahn: no Python 2.7 interpreter (set PYTHON2, or pyenv install 2.7.18)" >&2
    exit 1
fi

log="$(mktemp -t wsspec-autobahn-install.XXXXXX)"
fail() {
    echo "install_autobahn: $1 (log: ${log})" >&2
    exit 1
}

# virtualenv 16.7 is a single module with no dependencies that still creates Python 2 envs.
tools="$(mktemp -d -t wsspec-virtualenv.XXXXXX)"
"${python2}" -m pip install -q --disable-pip-version-check --target "${tools}" \
    'virtualenv==16.7.12' >>"${log}" 2>&1 || fail "could not install virtualenv 16.7 for ${python2}"
PYTHONPATH="${tools}" "${python2}" -m virtualenv -q "${venv}" >>"${log}" 2>&1 \
    || fail "could not create ${venv}"
rm -rf "${tools}"

pip=("${venv}/bin/python" -m pip install -q --disable-pip-version-check)
"${pip[@]}" 'pip==20.3.4' 'setuptools==44.1.1' 'wheel==0.37.1' >>"${log}" 2>&1 \
    || fail "could not update pip in ${venv}"
"${pip[@]}" \
    'autobahntestsuite==25.10.1' \
    'constantly==15.1.0' \
    'Automat==20.2.0' \
    'hyperlink==21.0.0' \
    'idna==2.10' \
    'attrs==21.4.0' \
    'PyHamcrest==1.10.1' \
    'typing==3.10.0.0' \
    'cffi==1.15.1' \
    'pycparser==2.21' \
    'enum34==1.1.10' \
    'ipaddress==1.0.23' \
    'pyasn1==0.4.8' \
    'pyasn1-modules==0.2.8' \
    >>"${log}" 2>&1 || fail "could not install autobahntestsuite and its pinned dependencies"
"${pip[@]}" 'wsaccel==0.6.3' >>"${log}" 2>&1 || echo "install_autobahn: wsaccel did not build; masking in pure Python" >&2

"${venv}/bin/wstest" --help >>"${log}" 2>&1 || fail "wstest was installed but does not start"
rm -f "${log}"
touch "${done_mark}"
echo "${venv}/bin/wstest"
