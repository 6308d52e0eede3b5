#!/usr/bin/env bash
# Reproduces docs/images/after-action-report.png: a demo run of commsd against
# local receivers (some contacts refused, gone or failing), one urgent message
# to staff, relatives and the council, then `commsd audit report --format html`
# rendered by headless Chromium. Needs python3 + aiosmtpd, chromium, pngquant.
# Usage: scripts/report-screenshot.sh [COMMSD-BINARY] [OUT.png]   (takes ~1 min)
set -euo pipefail
repo=${COMMSD_REPO:-$(cd "$(dirname "$0")/.." && pwd)}
bin=$(realpath "${1:-$repo/.build/debug/commsd}")
out=$(realpath -m "${2:-$repo/docs/images/after-action-report.png}")
dir=$(mktemp -d /tmp/commsd-report.XXXXXX) && cd "$dir" && mkdir var
rx=$repo/Tests/Receivers
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait' EXIT
start() { local name=$1; shift; "$@" --port 0 --port-file "$name.port" >/dev/null & pids+=($!); }
port() { for _ in $(seq 100); do [ -s "$1.port" ] && { cat "$1.port"; return; }; sleep 0.1; done; echo "$1 did not start" >&2; exit 1; }
# An SMTP relay that refuses two addresses; webhooks where /teams is gone (410)
# and /pager always fails (503); an SMS gateway that is slower and throttles once.
start smtp python3 "$rx/smtp_receiver.py" --delay-ms 80 \
  --reject birgit.lund@example.net --reject jonas.krag@kommune.example
start hooks python3 "$rx/http_receiver.py" --fail-path /teams=410 --fail-path /pager=503
start sms python3 "$rx/http_receiver.py" --delay-ms 150 --fail-first 1 --fail-first-overall \
  --fail-status 429 --retry-after 3
smtp=$(port smtp) hooks=$(port hooks) sms=$(port sms)

cat >commsd.toml <<EOF
data_dir = "var"
message_id_domain = "commsd.kommune.example"
default_language = "da"
recipient_lists = ["recipients.csv"]
[retry]
first_delay = "2s"
give_up_after = "30s"     # short for the demo (default 24h)
[relays.local]
url = "smtp://127.0.0.1:$smtp"
from = "Krisestaben, Eksempel Kommune <krisestab@kommune.example>"
tls = "none"
concurrency = 4
[endpoints.intranet]
url = "http://127.0.0.1:$hooks/intranet"
secret = "whsec_c+krAWLAGQZFW/rIQtD/s2U1xZlh1Lfb"
[endpoints.teams]
url = "http://127.0.0.1:$hooks/teams"
secret = "whsec_c+krAWLAGQZFW/rIQtD/s2U1xZlh1Lfb"
[endpoints.pager]
url = "http://127.0.0.1:$hooks/pager"
secret = "whsec_c+krAWLAGQZFW/rIQtD/s2U1xZlh1Lfb"
[endpoints.sms]
url = "http://127.0.0.1:$sms/sms"
secret = "whsec_7yDalRohqWi8nyivJFnofSOVnDUtq8zO"
concurrency = 2
rate = 6
burst = 4
# No quiet hours, so the demo runs the same at any hour (the default is 22-07).
[audiences.staff]
display_name = "Personale"
dosing.quiet_hours = "none"
[audiences.staff.translations.en]
display_name = "Staff"
[audiences.relatives]
display_name = "Pårørende"
dosing.quiet_hours = "none"
[audiences.relatives.translations.en]
display_name = "Relatives"
[audiences.relatives.translations.ar]
display_name = "الأقارب"
[audiences.council]
display_name = "Kommunalbestyrelsen"
dosing.quiet_hours = "none"
EOF
cat >recipients.csv <<'EOF'
id;name;audiences;contacts;language;unit
hr-1001;Lene Kjærgaard;staff;lene.kjaergaard@kommune.example;da;solgaarden
hr-1002;Mads Søndergaard;staff;sms:+4520001002;da;solgaarden
hr-1003;Ayşe Yılmaz;staff;intranet:ayse.yilmaz|sms:+4520001003;da;aabo
hr-1004;Peter Nørgaard;staff;intranet:peter.noergaard;da;aabo
hr-1005;Rasmus Høj;staff|relatives;rasmus.hoej@kommune.example|sms:+4520001005;da;solgaarden
hr-1006;Maria Santos;staff;sms:+4520001006;en;aabo
hr-1007;Jonas Krag;staff;jonas.krag@kommune.example|sms:+4520001007;da;aabo
hr-1008;Camilla Dahl;staff;camilla.dahl@kommune.example;da;solgaarden
hr-1009;Ole Brandt;staff;pager:ole.brandt;da;aabo
hr-1010;Sofie Lauridsen;staff;intranet:sofie.lauridsen;da;solgaarden
hr-1011;Kasper Vinther;staff;sms:+4520001011;da;aabo
hr-1012;Emma Thorsen;staff;emma.thorsen@kommune.example;da;aabo
hr-1013;Tomasz Nowak;staff;sms:+4520001013;en;solgaarden
hr-1014;Inge Mikkelsen;staff;intranet:inge.mikkelsen|sms:+4520001014;da;aabo
hr-1015;Freja Holst;staff;sms:+4520001015;da;solgaarden
care-2001;Birthe Mølgaard;relatives;birthe.moelgaard@example.net;da;solgaarden
care-2002;Jørgen Læssøe;relatives;sms:+4520002002;da;solgaarden
care-2003;Layla Haddad;relatives;sms:+4520002003;ar;solgaarden
care-2004;Åse Sørensen;relatives;aase.soerensen@example.org;da;aabo
care-2005;Tom Whitaker;relatives;tom.whitaker@example.co.uk|sms:+447700900123;en;aabo
care-2006;Kirsten Ærenlund;relatives;kirsten.aerenlund@example.net|sms:+4520002006;da;aabo
care-2007;Niels Østergaard Bøgh;relatives;sms:+4520002007;da;solgaarden
care-2008;Grethe Præstø;relatives;grethe.praestoe@example.dk;da;aabo
care-2009;Birgit Lund;relatives;birgit.lund@example.net;da;solgaarden
care-2010;Omar Khalil;relatives;sms:+4520002010;ar;aabo
care-2011;Hans Iversen;relatives;hans.iversen@example.dk|sms:+4520002011;da;aabo
care-2012;Sarah Mitchell;relatives;sarah.mitchell@example.com;en;solgaarden
care-2013;Bente Kragh;relatives;sms:+4520002013;da;aabo
council-001;Borgmester Lise Holm;council;borgmester@kommune.example;da;
council-002;Peter Friis;council;peter.friis@kommune.example;da;
council-003;Hanne Bæk;council;sms:+4520000023;da;
council-004;Anders Vestergaard;council;teams:anders.vestergaard;da;
council-005;Mette Kirk;council;pager:mette.kirk|mette.kirk@kommune.example;da;
council-006;Karim Jensen;council;karim.jensen@kommune.example;da;
council-007;Susanne Bech;council;susanne.bech@kommune.example;da;
EOF
"$bin" config check --config commsd.toml
"$bin" serve --config commsd.toml 2>serve.log & pids+=($!)
until [ -S var/commsd.sock ]; do sleep 0.1; done
id=$("$bin" send --config commsd.toml --audience staff,relatives,council --priority urgent \
  --subject "Besøgsforbud på plejehjem" --body "Fra i dag kl. 18 er der besøgsforbud på Solgården og Åbo." \
  --subject-in en="Visiting ban at care homes" --body-in en="From 18:00 today, visits to Solgården and Åbo are suspended." \
  --subject-in ar="حظر الزيارة في دور الرعاية" --body-in ar="اعتبارا من الساعة 18 اليوم تمنع الزيارات في سولغوردن وأوبو." | sed -n 1p)
# Final when every person is reached or unreachable.
for _ in $(seq 120); do
  "$bin" status --config commsd.toml "$id" --json | python3 -c '
import json, sys; s = json.load(sys.stdin)
sys.exit(0 if s.get("planned_at") and s["recipients"]["pending"] == 0 else 1)' && break
  sleep 1
done
"$bin" status --config commsd.toml "$id"
"$bin" audit report --config commsd.toml "$id" --format html --output report.html
# 2090 px is the page's height at 1000 px wide (no blank strip below the footer).
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 \
  --window-size=1000,2090 --screenshot="$dir/shot.png" "file://$dir/report.html" 2>/dev/null
mkdir -p "$(dirname "$out")"
pngquant --force --output "$out" 64 "$dir/shot.png"
echo "$out ($(stat -c %s "$out") bytes); run in $dir"
