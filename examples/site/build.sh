#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Render every pages/*.txt (first line: the title) into OUT/<name>.html
# through template.html, and write an index linking them.
set -eu
title=$1
out=$2
mkdir -p "$out"
links=""
for page in pages/*.txt; do
	name=$(basename "$page" .txt)
	head=$(sed -n 1p "$page")
	body=$(sed 1d "$page" | tr '\n' ' ')
	sed -e "s|@TITLE@|$title: $head|" -e "s|@BODY@|<p>$body</p>|" template.html >"$out/$name.html"
	links="$links<li><a href=\"$name.html\">$head</a></li>"
done
sed -e "s|@TITLE@|$title|" -e "s|@BODY@|<ul>$links</ul>|" template.html >"$out/index.html"
echo "assembled $(ls "$out" | wc -l) pages"
