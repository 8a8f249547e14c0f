#!/usr/bin/env bash
# Runs one CLI test case and compares its whole stdout, stderr and exit code.
#
# Usage: run-case.sh CASE_FILE BIN_DIR SOURCE_DIR
#
# A case file holds:
#   # comment lines (what the case proves)
#   cmd: <shell command, run with bash in SOURCE_DIR, tools from BIN_DIR first on PATH>
#   exit: <expected exit code>
#   --- stdout
#   <expected stdout, verbatim>
#   --- stderr
#   <expected stderr, verbatim>
# Several `cmd:` lines run as one script. $TMP is a fresh scratch directory; its path
# is written as $TMP in the compared output. With KEXTKIT_UPDATE_CLI=1 the case file is
# rewritten with the actual output instead of being compared (review the diff!).
set -u
case_file=$1 bin_dir=$2 src_dir=$3
top=$(mktemp -d "${TMPDIR:-/tmp}/kextkit-cli-XXXXXX")
trap 'chmod -R u+rwX "$top" 2>/dev/null; rm -rf "$top"' EXIT
tmp=$top/tmp
mkdir "$tmp"

cmd="" want_exit="" section="" want_out="" want_err=""
header=""
while IFS= read -r line || [ -n "$line" ]; do
  case "$section" in
    "")
      case "$line" in
        "cmd: "*) cmd+="${line#cmd: }"$'\n'; header+="$line"$'\n' ;;
        "exit: "*) want_exit="${line#exit: }"; header+="$line"$'\n' ;;
        "--- stdout") section=out ;;
        *) header+="$line"$'\n' ;;
      esac ;;
    out)
      if [ "$line" = "--- stderr" ]; then section=err; else want_out+="$line"$'\n'; fi ;;
    err) want_err+="$line"$'\n' ;;
  esac
done < "$case_file"

if [ -z "$cmd" ] || [ -z "$want_exit" ]; then
  echo "$case_file: needs cmd: and exit: lines" >&2
  exit 2
fi

(cd "$src_dir" && TMP="$tmp" PATH="$bin_dir:$PATH" LC_ALL=C bash -c "$cmd" >"$top/stdout" 2>"$top/stderr" </dev/null)
got_exit=$?
got_out=$(sed "s#$tmp#\$TMP#g" "$top/stdout"; printf x)
got_err=$(sed "s#$tmp#\$TMP#g" "$top/stderr"; printf x)
got_out=${got_out%x}
got_err=${got_err%x}

if [ "${KEXTKIT_UPDATE_CLI:-}" = 1 ]; then
  { printf '%s' "$header"; printf -- '--- stdout\n%s' "$got_out"; printf -- '--- stderr\n%s' "$got_err"; } > "$case_file.new"
  sed -i "s/^exit: .*/exit: $got_exit/" "$case_file.new"
  mv "$case_file.new" "$case_file"
  echo "updated $case_file"
  exit 0
fi

status=0
if [ "$got_exit" != "$want_exit" ]; then
  echo "exit code: expected $want_exit, got $got_exit"
  status=1
fi
if [ "$got_out" != "$want_out" ]; then
  echo "stdout differs (expected vs actual):"
  diff <(printf '%s' "$want_out") <(printf '%s' "$got_out")
  status=1
fi
if [ "$got_err" != "$want_err" ]; then
  echo "stderr differs (expected vs actual):"
  diff <(printf '%s' "$want_err") <(printf '%s' "$got_err")
  status=1
fi
[ $status = 0 ] && echo "ok: $(basename "$case_file")"
exit $status
