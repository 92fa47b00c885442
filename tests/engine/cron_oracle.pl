#!/usr/bin/perl
# The reference for tests/engine/cron_test.cc: next runs of cron expressions
# by Schedule::Cron::Events (Debian: libschedule-cron-events-perl), in UTC.
#
# Reads lines "EXPRESSION<TAB>START<TAB>COUNT" (START in Unix seconds) and
# prints, per line, the COUNT runs strictly after START as Unix seconds
# separated by spaces, or "error: MESSAGE" when the module refuses the line.
use strict;
use warnings;
use POSIX qw(tzset);
use Time::Local qw(timegm);
use Schedule::Cron::Events;

$ENV{TZ} = 'UTC';
tzset();
$| = 1;

while (my $line = <STDIN>) {
  chomp $line;
  my ($expression, $start, $count) = split /\t/, $line;
  my @runs = eval {
    my $cron = Schedule::Cron::Events->new("$expression true", Seconds => $start);
    # timegm reads a two-digit year as near today's: give it all four.
    map { my @t = $cron->nextEvent; $t[5] += 1900; timegm(@t) } 1 .. $count;
  };
  if ($@) {
    my ($first) = split /\n/, $@;
    print "error: $first\n";
  } else {
    print join(' ', @runs), "\n";
  }
}
