#!/bin/sh
# The list size of one practice in the fixture registrations (every patient, wherever they live):
# the independent count behind TestWhatIfMembership. Run from the repository root:
#   sh app/testdata/practice_list.sh P91603
zcat fixtures/registrations-2021-01.csv.gz | awk -F, -v p="$1" 'NR > 1 && $3 == p && $6 == "ALL" { n += $7 } END { print p, n }'
