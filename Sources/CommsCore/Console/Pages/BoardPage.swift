import Foundation

/// The board's live part: the state of the queue, then one card per
/// message with its reach per audience as a bar and figures.
enum BoardPage {
  static func live(
    messages: [MessageOverview], counts: StoreMetricCounts, breakers: [String: Bool],
    words: Words, now: Date, displayName: (String) -> String
  ) -> Markup {
    let dead = counts.deliveries.filter { $0.state == "dead" }.reduce(0) { $0 + $1.count }
    let lanes: [Markup] = Priority.allCases.map { priority in
      "<td class=\"n\">\(counts.queueByLane[priority.lane] ?? 0)</td>"
    }
    let laneNames: [Markup] = Priority.allCases.map { "<th class=\"n\">\($0.rawValue)</th>" }
    let held = counts.heldByReason.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
    let open = breakers.filter(\.value).keys.sorted()
    var cards: [Markup] = messages.map {
      card($0, words: words, now: now, displayName: displayName)
    }
    if cards.isEmpty {
      cards = ["<p class=\"meta\">\(words("Ingen beskeder endnu.", "No messages yet."))</p>"]
    }
    return """
      <div class="grid three">
      <div class="card"><h3>\(words("Kø pr. prioritet", "Queue per lane"))</h3>
      <table class="reach"><tr>\(laneNames)</tr><tr>\(lanes)</tr></table></div>
      <div class="card"><h3>\(words("Tilbageholdt", "Held"))</h3>
      <p>\(held.isEmpty ? words("Intet", "Nothing") : held.joined(separator: ", "))</p></div>
      <div class="card"><h3>\(words("Fejl", "Failures"))</h3>
      <p>\(words("Døde breve", "Dead letters")): <strong>\(dead)</strong></p>
      <p>\(open.isEmpty ? words("Alle modtagere svarer.", "Every endpoint answers.") : words("Afbrudt (circuit breaker åben): ", "Circuit breaker open: ") + open.joined(separator: ", "))</p>
      </div>
      </div>
      <h2>\(words("Seneste beskeder", "Latest messages"))</h2>
      \(cards)
      """
  }

  static func card(
    _ message: MessageOverview, words: Words, now: Date, displayName: (String) -> String
  ) -> Markup {
    var tags: [Markup] = [
      "<span class=\"tag \(message.priority)\">\(message.priority)</span>"
    ]
    if message.mode != "actual" {
      tags.append("<span class=\"tag exercise\">\(message.mode.uppercased())</span>")
    }
    if message.cancelled {
      tags.append("<span class=\"tag cancelled\">\(words("trukket tilbage", "withdrawn"))</span>")
    }
    if let release = message.notBefore, release > now {
      tags.append(
        "<span class=\"tag held\">\(words("planlagt", "scheduled")) \(ReportText.time(release))</span>"
      )
    } else if !message.planned && !message.cancelled {
      tags.append(
        "<span class=\"tag held\">\(words("ikke planlagt endnu", "not planned yet"))</span>")
    }
    let rows: [Markup] = message.audiences.map { row($0, words: words, displayName: displayName) }
    var confirmation: Markup = ""
    if let progress = message.confirmation {
      confirmation = """
        <p class="meta">\(words("Bekræftet", "Confirmed")): <strong>\(progress.confirmed + progress.late) / \(progress.people)</strong>\
        \(progress.waves > 0 ? " · \(words("eskaleringsbølger", "escalation waves")): \(progress.waves)" : "")</p>
        """
    }
    return """
      <article class="card" data-message="\(message.id)">
      <h3><a href="/console/messages/\(message.id)">\(message.subject)</a></h3>
      <p class="meta">\(tags) \(ReportText.time(message.acceptedAt)) · \(message.sender)</p>
      <div class="scroll"><table class="reach">
      <tr><th>\(words("Målgruppe", "Audience"))</th><th class="n">\(words("Nået", "Reached"))</th><th></th>\
      <th class="n">\(words("Leveret", "Delivered"))</th><th class="n">\(words("Venter", "Pending"))</th>\
      <th class="n">\(words("Holdt", "Held"))</th><th class="n">\(words("Fejlet", "Failed"))</th></tr>
      \(rows)
      </table></div>
      \(confirmation)
      </article>
      """
  }

  static func row(_ progress: AudienceProgress, words: Words, displayName: (String) -> String)
    -> Markup
  {
    let live = max(0, progress.total - progress.withdrawn)
    let waiting = progress.pending + progress.awaitingReceipt
    // The bar's widths are classes in steps of 5 %: the strict policy
    // allows no inline style.
    let bar: Markup = """
      <div class="bar" role="img" aria-label="\(ReportText.percent(progress.delivered, of: live))">\
      \(segment("delivered", progress.delivered + progress.unconfirmed, of: live))\
      \(segment("pending", waiting, of: live))\
      \(segment("held", progress.held, of: live))\
      \(segment("failed", progress.failed, of: live))</div>
      """
    return """
      <tr><td>\(displayName(progress.audience))</td>\
      <td class="n pct">\(ReportText.percent(progress.delivered, of: live))</td><td>\(bar)</td>\
      <td class="n">\(progress.delivered)</td><td class="n">\(waiting)</td>\
      <td class="n">\(progress.held)</td><td class="n">\(progress.failed)</td></tr>
      """
  }

  /// A bar segment `part` of `whole` wide, in a `w0` … `w100` class.
  static func segment(_ kind: String, _ part: Int, of whole: Int) -> Markup {
    guard whole > 0, part > 0 else { return "" }
    let step = min(100, max(1, Int((Double(part) * 20 / Double(whole)).rounded(.up)))) * 5
    return "<span class=\"\(kind) w\(step)\"></span>"
  }
}
