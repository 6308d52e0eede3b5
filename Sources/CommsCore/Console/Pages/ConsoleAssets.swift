import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// The console's stylesheet and script, served from the daemon itself (no
/// CDN, nothing fetched from elsewhere) and cached by their content's hash.
/// The pages work without the script: it only adds the live updates of
/// the board and the live count while composing, and asks before a
/// destructive button.
enum ConsoleAssets {
  static let css = """
    :root{--ink:#1b1f24;--muted:#57606a;--line:#d0d7de;--bg:#f6f8fa;--accent:#0b5cad;
    --good:#1a7f37;--warn:#9a6700;--bad:#cf222e;--flash:#a40e26;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
    *{box-sizing:border-box}body{margin:0;color:var(--ink);background:var(--bg);font-size:16px;line-height:1.4}
    header{background:#0d2847;color:#fff;padding:.5rem .75rem;display:flex;flex-wrap:wrap;gap:.25rem .75rem;align-items:center}
    header .brand{font-weight:700;margin-right:auto}header nav{display:flex;flex-wrap:wrap;gap:.1rem .7rem}header a{color:#fff;text-decoration:none;padding:.35rem .1rem;white-space:nowrap}
    header a.current{border-bottom:2px solid #fff}header form{margin:0}
    header button{background:none;border:1px solid #fff8;color:#fff;padding:.3rem .6rem;border-radius:6px;font-size:.9rem}
    .count{background:#cf222e;color:#fff;border-radius:9px;padding:0 .4rem;font-size:.8rem;margin-left:.2rem}
    main{padding:.75rem;max-width:1100px;margin:0 auto;overflow-wrap:anywhere}h1{font-size:1.35rem;margin:.4rem 0 .8rem}h2{font-size:1.1rem;margin:1.2rem 0 .5rem}
    .card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:.75rem;margin:0 0 .75rem}
    .card h3{margin:0 0 .35rem;font-size:1rem}.card h3 a{color:var(--ink)}
    .meta{color:var(--muted);font-size:.85rem}.tag{display:inline-block;border-radius:4px;padding:0 .35rem;font-size:.8rem;border:1px solid var(--line);margin-right:.25rem}
    .tag.flash{background:var(--flash);color:#fff;border-color:var(--flash)}.tag.urgent{background:#fff1e5;border-color:#f0883e}
    .tag.exercise{background:#ddf4ff;border-color:#54aeff;font-weight:700}.tag.cancelled{background:#ffebe9;border-color:var(--bad)}
    .tag.held{background:#fff8c5;border-color:#d4a72c}
    .bar{display:flex;height:.7rem;border-radius:4px;overflow:hidden;background:#eaeef2;margin:.2rem 0}
    .bar span{display:block;height:100%}.w5{width:5%}.w10{width:10%}.w15{width:15%}.w20{width:20%}.w25{width:25%}.w30{width:30%}.w35{width:35%}.w40{width:40%}.w45{width:45%}.w50{width:50%}.w55{width:55%}.w60{width:60%}.w65{width:65%}.w70{width:70%}.w75{width:75%}.w80{width:80%}.w85{width:85%}.w90{width:90%}.w95{width:95%}.w100{width:100%}.bar .delivered{background:var(--good)}.bar .confirmed{background:#0969da}
    .bar .pending{background:#8c959f}.bar .held{background:#d4a72c}.bar .failed{background:var(--bad)}
    .reach{width:100%;border-collapse:collapse;font-size:.9rem}.reach td,.reach th{padding:.2rem .3rem;text-align:left;border-bottom:1px solid #eaeef2}
    .reach td.n,.reach th.n{text-align:right}.pct{font-weight:700;white-space:nowrap}.reach td.bar-cell{width:55%}.figures{color:var(--muted);font-size:.8rem}
    table.list{width:100%;border-collapse:collapse;background:#fff;font-size:.9rem}table.list th,table.list td{padding:.35rem;border-bottom:1px solid #eaeef2;text-align:left;vertical-align:top}
    .scroll{overflow-x:auto}
    form.stack label{display:block;font-weight:600;margin:.7rem 0 .2rem}form.stack .hint{font-weight:400;color:var(--muted);font-size:.85rem}
    input[type=text],input[type=password],input[type=datetime-local],select,textarea{width:100%;font-size:16px;padding:.45rem;border:1px solid var(--line);border-radius:6px;background:#fff}
    textarea{min-height:7rem;font-family:inherit}fieldset{border:1px solid var(--line);border-radius:8px;margin:.7rem 0;padding:.5rem .7rem;background:#fff}
    legend{font-weight:700;padding:0 .3rem}.checks label{display:inline-flex;gap:.3rem;align-items:center;font-weight:400;margin:.2rem .8rem .2rem 0}
    button,.button{display:inline-block;font-size:1rem;padding:.55rem .9rem;border-radius:6px;border:1px solid var(--accent);background:var(--accent);color:#fff;text-decoration:none;margin:.3rem .3rem .3rem 0;cursor:pointer}
    button.secondary,.button.secondary{background:#fff;color:var(--accent)}button.danger{background:var(--bad);border-color:var(--bad)}
    .error{color:var(--bad);font-weight:600;font-size:.9rem;margin:.2rem 0}.field-error input,.field-error textarea,.field-error select,.field-error fieldset{border-color:var(--bad)}
    .notice{background:#dafbe1;border:1px solid #4ac26b;border-radius:8px;padding:.6rem;margin:0 0 .75rem}
    .alert{background:#ffebe9;border:1px solid var(--bad);border-radius:8px;padding:.6rem;margin:0 0 .75rem}
    .exercise-banner{background:#ddf4ff;border:2px dashed #0969da;border-radius:8px;padding:.5rem;font-weight:700;text-align:center;margin:.5rem 0}
    .preview{border:1px solid var(--line);border-radius:8px;background:#fff;padding:.6rem;margin:.5rem 0}.preview pre{white-space:pre-wrap;font-family:inherit;margin:.3rem 0}
    .preview.sms pre{background:#e9f5e9;border-radius:12px;padding:.5rem .7rem;max-width:22rem}
    .preview.teams{border-left:4px solid #6264a7}
    #reach-live{position:sticky;bottom:0;background:#fff;border-top:2px solid var(--accent);padding:.5rem;margin:.5rem -.75rem 0;height:5.5rem;overflow-y:auto}#reach-live p{margin:0 0 .2rem}
    .grid{display:grid;gap:.75rem}@media(min-width:760px){.grid.two{grid-template-columns:1fr 1fr}.grid.three{grid-template-columns:1fr 1fr 1fr}}
    .state-delivered,.state-confirmed{color:var(--good)}.state-dead,.state-failed,.state-unreachable{color:var(--bad)}.state-held,.state-waiting{color:var(--warn)}
    footer{color:var(--muted);font-size:.85rem;text-align:center;padding:1rem}footer a{color:var(--muted)}
    .signin{max-width:24rem;margin:2rem auto}.report-frame{background:#fff;border:1px solid var(--line);border-radius:8px;padding:.5rem;overflow-x:auto}
    """

  static let js = """
    "use strict";
    (function () {
      // Board: the live part is fetched again every few seconds.
      var live = document.querySelector("[data-refresh]");
      if (live) {
        var every = parseInt(live.getAttribute("data-every") || "5", 10) * 1000;
        setInterval(function () {
          fetch(live.getAttribute("data-refresh"), { credentials: "same-origin" })
            .then(function (r) { if (r.ok) { return r.text(); } throw new Error(r.status); })
            .then(function (html) {
              // The card at the top of the screen keeps its place when a
              // new one comes in above it: a tap meant for it lands on it.
              // At the very top of the page the new card shows there instead.
              var anchor = null, top = 0;
              if (window.scrollY > 0) {
                var cards = live.querySelectorAll("[data-message]");
                for (var i = 0; i < cards.length && anchor === null; i++) {
                  var box = cards[i].getBoundingClientRect();
                  if (box.bottom > 0) { anchor = cards[i].getAttribute("data-message"); top = box.top; }
                }
              }
              live.innerHTML = html;
              if (anchor !== null) {
                var same = live.querySelector('[data-message="' + CSS.escape(anchor) + '"]');
                if (same) { window.scrollBy(0, same.getBoundingClientRect().top - top); }
              }
            })
            .catch(function () {});
        }, every);
      }
      // Compose: who the message reaches, counted again as it is written.
      var form = document.getElementById("compose");
      var out = document.getElementById("reach-live");
      if (form && out) {
        var timer = null;
        // Only the answer to the latest count is shown: on a busy server an
        // earlier one (for "unit" while "unit=solgaarden" was being typed)
        // can come back last, and its error would stand over a good field.
        var asked = 0;
        var count = function () {
          var mine = ++asked;
          var body = new URLSearchParams(new FormData(form));
          body.set("action", "count");
          fetch("/console/compose/count", { method: "POST", credentials: "same-origin",
            headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: body.toString() })
            .then(function (r) { return r.text(); })
            .then(function (html) { if (mine === asked) { out.innerHTML = html; } })
            .catch(function () {});
        };
        form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(count, 400); });
        form.addEventListener("change", function () { clearTimeout(timer); timer = setTimeout(count, 100); });
      }
      // A button that cannot be undone asks first.
      document.querySelectorAll("button[data-confirm]").forEach(function (button) {
        button.addEventListener("click", function (event) {
          if (!window.confirm(button.getAttribute("data-confirm"))) { event.preventDefault(); }
        });
      });
    })();
    """

  static let cssVersion = version(css)
  static let jsVersion = version(js)

  static func version(_ text: String) -> String {
    String(LowerHex.string(SHA256.hash(data: Array(text.utf8))).prefix(12))
  }

  static func response(_ text: String, type: String) -> Response {
    var headers = HTTPFields()
    headers[.contentType] = type
    headers[.cacheControl] = "public, max-age=31536000, immutable"
    headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
    return Response(
      status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
  }
}
