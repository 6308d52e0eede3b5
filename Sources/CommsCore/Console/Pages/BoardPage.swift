import Foundation

/// The board's live part: the state of the queue, then one card per
/// message with its reach per audience as a bar and figures.
enum BoardPage {
  static func live(
    messages: [MessageOverview], counts: StoreMetricCounts, breakers: [String: Bool],
    words: Words, now: Date, displayName: (String) -> String
  ) -> Markup {
    let dead = counts.deliveries.filter { $0.state == "dead" }.reduce(0) { $0 + $1.count }
    let held = counts.heldByReason.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
    let open = breakers.filter(\.value).keys.sorted()
    var cards: [Markup] = messages.map {
      card($0, words: words, now: now, displayName: displayName)
    }
    if cards.isEmpty {
      cards = ["<p class=\"meta\">\(words("Ingen beskeder endnu.", "No messages yet."))</p>"]
    }
    let queued = Priority.allCases.map { "\($0.rawValue) \(counts.queueByLane[$0.lane] ?? 0)" }
    // Messages not yet planned only when there are any: a planner behind.
    let toPlan =
      counts.unplanned > 0
      ? " · " + words("beskeder at planlægge", "messages to plan") + " \(counts.unplanned)" : ""
    // The messages first: on a phone the state of the queue is one card below them.
    return """
      \(cards)
      <div class="card" id="queue-state">
      <h3>\(words("Køen", "The queue"))</h3>
      <p>\(words("Venter pr. prioritet", "Waiting per lane")): \(queued.joined(separator: " · "))\(toPlan)</p>
      <p>\(words("Tilbageholdt", "Held")): \(held.isEmpty ? words("intet", "nothing") : held.joined(separator: ", "))</p>
      <p>\(words("Døde breve", "Dead letters")): <strong>\(dead)</strong> · \
      \(open.isEmpty ? words("alle modtagere svarer", "every endpoint answers") : words("afbrudt (circuit breaker åben): ", "circuit breaker open: ") + open.joined(separator: ", "))</p>
      </div>
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
    } else if !message.awaitingApproval.isEmpty && !message.cancelled {
      tags.append(
        "<span class=\"tag held\">\(words("venter på godkendelse", "awaiting approval")): \(message.awaitingApproval.map(displayName).joined(separator: ", "))</span>"
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
      <table class="reach">
      \(header(words))
      \(rows)
      </table>
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
      <td class="n pct">\(ReportText.percent(progress.delivered, of: live))</td><td class="bar-cell">\(bar)\
      <div class="figures">\(progress.delivered) \(words("leveret", "delivered")) · \(waiting) \(words("venter", "pending")) · \
      \(progress.held) \(words("holdt", "held")) · \(progress.failed) \(words("fejlet", "failed"))</div></td></tr>
      """
  }

  /// The reach table's head row.
  static func header(_ words: Words) -> Markup {
    """
    <tr><th>\(words("Målgruppe", "Audience"))</th><th class="n">\(words("Nået", "Reached"))</th><th></th></tr>
    """
  }

  /// A bar segment `part` of `whole` wide, in a `w0` … `w100` class.
  static func segment(_ kind: String, _ part: Int, of whole: Int) -> Markup {
    guard whole > 0, part > 0 else { return "" }
    let step = min(20, max(1, (part * 20 + whole - 1) / whole)) * 5  // rounded up
    return "<span class=\"\(kind) w\(step)\"></span>"
  }
}
