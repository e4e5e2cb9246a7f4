#!/usr/bin/env bash
# Opens a report.html in headless Chromium and checks that it renders with its
# tables and every chart image present (and no script but the report's own).
#   scripts/check-report.sh RUN_DIR/report.html [MIN_TABLES] [MIN_IMAGES]
# MIN_IMAGES defaults to the number of charts/*.svg beside the report: every
# chart written must be in the page. Installs Debian's chromium when missing;
# exits 77 (skip) only when it cannot be installed. Leaves report.dom.html and
# report.png (a screenshot) beside the report.
set -euo pipefail
html=$(realpath "${1:?usage: $0 REPORT.html [MIN_TABLES] [MIN_IMAGES]}")
dir=$(dirname "$html")
charts=$(find "$dir/charts" -maxdepth 1 -name '*.svg' 2>/dev/null | wc -l)
min_tables=${2:-1}
min_images=${3:-$charts}

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
    echo "chromium not found: installing (apt-get install -y chromium)"
    # A fresh machine may have no package lists yet: update once, then retry.
    DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >/dev/null 2>&1 \
        || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >/dev/null 2>&1; } \
        || true
    browser=$(command -v chromium || true)
    if [ -z "$browser" ]; then
        echo "SKIP: chromium is not installed and apt-get could not install it"
        exit 77
    fi
fi
flags=(--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --allow-file-access-from-files --hide-scrollbars)

"$browser" "${flags[@]}" --dump-dom "file://$html" > "$dir/report.dom.html" 2>/dev/null
"$browser" "${flags[@]}" --window-size=1300,2400 --screenshot="$dir/report.png" "file://$html" >/dev/null 2>&1

dom="$dir/report.dom.html"
tables=$(grep -o '<table class="sortable"' "$dom" | wc -l)
images=$(grep -o '<img alt="[^"]*" src="data:image/svg+xml;base64,' "$dom" | wc -l)
scripts=$(grep -o '<script' "$dom" | wc -l)
rows=$(grep -o '<tr>' "$dom" | wc -l)
echo "rendered DOM: $tables tables, $rows rows, $images embedded chart images ($charts chart files), $scripts script element(s)"
status=0
[ "$tables" -ge "$min_tables" ] || { echo "FAIL: fewer than $min_tables tables"; status=1; }
[ "$images" -ge "$min_images" ] || { echo "FAIL: fewer than $min_images chart images"; status=1; }
[ "$scripts" -eq 1 ] || { echo "FAIL: expected only the report's own script"; status=1; }
if grep -q 'alert(' "$dom" && grep -q '<script>alert' "$dom"; then
    echo "FAIL: a live injected script tag"; status=1
fi
[ -s "$dir/report.png" ] && echo "screenshot: $dir/report.png ($(stat -c %s "$dir/report.png") bytes)"
[ "$status" -eq 0 ] && echo "OK: $html renders with its tables and charts"
exit "$status"
