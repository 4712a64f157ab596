#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# plot.sh: render ivshare-bench's SPSC sweep (from --csv) as a PNG with gnuplot.
#
#   build/tests/bench/ivshare-bench --csv > results.csv
#   tests/bench/plot.sh results.csv docs/performance.png
#
# Not run by CI; needs gnuplot (Debian: gnuplot-nox).
set -eu

if [ $# -ne 2 ]; then
    echo "usage: $0 RESULTS.csv OUTPUT.png" >&2
    exit 2
fi
csv=$1
png=$2
command -v gnuplot >/dev/null || { echo "$0: gnuplot is not installed" >&2; exit 2; }

data=$(mktemp)
trap 'rm -f "$data"' EXIT
# sweep rows: msg_size burst ivshare rte_ring (columns 12, 13, 5 and 7)
awk -F, '$1 == "sweep" { print $12, $13, $5, $7 }' "$csv" > "$data"
if [ ! -s "$data" ]; then
    echo "$0: no sweep rows in '$csv' (run ivshare-bench without --quick)" >&2
    exit 1
fi

gnuplot <<GNUPLOT
set terminal pngcairo noenhanced size 900,560 font "sans,11"
set output "$png"
set title "SPSC throughput between two pinned processes (median of the runs)"
set xlabel "burst size (messages per call)"
set ylabel "million messages per second"
set logscale x 2
set xrange [0.8:80]
set yrange [0:*]
set xtics (1, 2, 4, 8, 16, 32, 64)
set key top left
set grid
plot "$data" using (\$1 == 8 ? \$2 : 1/0):3 with linespoints lw 2 pt 7 title "ivshare, 8 B", \
     "$data" using (\$1 == 64 ? \$2 : 1/0):3 with linespoints lw 2 pt 5 title "ivshare, 64 B", \
     "$data" using (\$1 == 8 ? \$2 : 1/0):4 with linespoints lw 2 dt 2 pt 6 title "rte_ring, 8 B", \
     "$data" using (\$1 == 64 ? \$2 : 1/0):4 with linespoints lw 2 dt 2 pt 4 title "rte_ring, 64 B"
GNUPLOT
echo "wrote $png"
