#!/usr/bin/env bash
# Checks that every option a tool's --help lists is documented in man/<tool>.8.
# Usage: check-man.sh TOOL_BINARY MAN_PAGE
set -u
tool=$1 page=$2
[ -f "$page" ] || { echo "missing man page $page"; exit 1; }
# Option names as --help prints them (-x and --long), without the value placeholder.
opts=$("$tool" --help | grep -oE '(^|[ ,])--?[A-Za-z0-9][A-Za-z0-9-]*' | sed 's/^[ ,]//' | sort -u)
# In roff, '-' is written '\-'; compare on the unescaped text.
text=$(sed 's/\\-/-/g; s/\\f[BIRP]//g' "$page")
status=0
for o in $opts; do
  apple=${o#-}  # --mkext is documented as Apple's -mkext; either spelling counts
  if ! grep -qE -- "(^|[^A-Za-z0-9-])(${o}|${apple})([^A-Za-z0-9-]|$)" <<<"$text"; then
    echo "$(basename "$tool"): option $o is not in $(basename "$page")"
    status=1
  fi
done
[ $status = 0 ] && echo "ok: every option of $(basename "$tool") is in $(basename "$page")"
exit $status
