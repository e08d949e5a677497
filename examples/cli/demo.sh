#!/bin/sh
# A short scripted session with the `allocation` command line, in a
# temporary directory: batches, allocations, the read models, a refused
# command, and allocate-from-csv on a CSV folder.
# Usage: examples/cli/demo.sh [path/to/allocation]
set -eu
cli=${1:-allocation}
case $cli in */*) cli=$(cd "$(dirname "$cli")" && pwd)/$(basename "$cli") ;; esac
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
unset ALLOCATION_DB

run() { echo "\$ allocation $*"; "$cli" "$@" 2>&1 || echo "(exit status $?)"; }

run add-batch b-now LAMP 10
run add-batch b-later LAMP 10 2011-01-02
run allocate o1 LAMP 8
run allocate o2 LAMP 8
run allocate o3 LAMP 8
run allocations o1
run batches LAMP
run change-batch-quantity b-now 5
run allocations o1
run allocate o4 NOPE 1

mkdir shop
printf 'ref,sku,qty,eta\nb1,s1,100,\nb2,s2,100,2011-01-01\nb3,s2,100,2011-01-02\n' >shop/batches.csv
printf 'orderid,sku,qty\no,s1,3\no,s2,12\n' >shop/orders.csv
run allocate-from-csv shop
echo "\$ cat shop/allocations.csv"
cat shop/allocations.csv
