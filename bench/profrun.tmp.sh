#!/bin/bash
# usage: VARIANTS file (one JSON patch per line, name<TAB>json), rounds
export VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json
for r in $(seq 1 ${ROUNDS:-2}); do
  while IFS=$'\t' read -r name patch; do
    out=$(PROF_PATCH="$patch" npx vite-node bench/prof.tmp.ts 2>&1 | grep samples/s | tr -s ' ' | sed "s/^/$name /")
    echo "$out"
  done < "$1"
done
