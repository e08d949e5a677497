#!/usr/bin/env bash
# Every ```c block of the guide is a verbatim part of the example's sources,
# so the code docs/adapters.md walks through is the code the tests build.
# A block right after the line "<!-- not from the example -->" is exempt.
set -euo pipefail
doc=$1 dir=$2
exec perl -e '
  my ($doc, $dir) = @ARGV;
  local $/;
  open my $fh, "<", $doc or die "$doc: $!";
  my $text = <$fh>;
  my $sources = "";
  for my $f (glob("$dir/*.c"), glob("$dir/*.h")) {
    open my $s, "<", $f or die "$f: $!";
    $sources .= <$s> . "\n";
  }
  my ($passed, $failed, $exempt) = (0, 0, 0);
  while ($text =~ /(<!-- not from the example -->\n)?```c\n(.*?)```\n/gs) {
    if ($1) { $exempt++; next; }
    my $block = $2;
    if (index($sources, $block) >= 0) { $passed++; next; }
    $failed++;
    my ($first) = $block =~ /^(.*)$/m;
    print "not in $dir: block starting \"$first\"\n";
  }
  print "$passed passed, $failed failed ($exempt illustrations not checked)\n";
  exit($failed || !$passed ? 1 : 0);
' "$doc" "$dir"
