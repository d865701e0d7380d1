# SPDX-License-Identifier: Apache-2.0
# Shared by the bench/ scripts (sourced): timings go to $W/NAME.times, one
# number of seconds a line.

now() { date +%s.%N; }

# time_it NAME CMD...: append the wall time of CMD to $W/NAME.times;
# $TIME_IT_BEFORE, when set, runs first, outside the timed region.
time_it() {
	local name=$1 t0 t1
	shift
	${TIME_IT_BEFORE:-}
	t0=$(now)
	"$@" >/dev/null 2>&1
	t1=$(now)
	awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.6f\n", b - a}' >>"$W/$name.times"
}

# median NAME: the median of $W/NAME.times.
median() { sort -g "$W/$1.times" | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
