import Foundation

/// The report's charts as inline SVG (no scripts, no external resources):
/// reach per audience as stacked bars, and the timeline of people reached.
/// Written as well-formed XML, so the page also parses as XHTML.
enum ReportSVG {
  /// One colour per audience line in the timeline, in turn.
  static let palette = ["#1565c0", "#ef6c00", "#6a1b9a", "#00838f", "#ad1457", "#558b2f"]

  /// The four states of a person, in the order drawn, with their colours.
  static let states: [(label: String, colour: String, count: @Sendable (AudienceFigures) -> Int)] =
    [
      ("nået", "#2e7d32", { $0.reached }),
      ("afventer", "#f9a825", { $0.pending }),
      ("trukket tilbage", "#9e9e9e", { $0.withdrawn }),
      ("uopnåelige", "#c62828", { $0.unreachable }),
    ]

  /// Reach per audience: one bar per audience, its length the number of
  /// recipients (against the largest audience), split into the four states.
  static func reachBars(_ figures: [AudienceFigures]) -> String {
    let width = 680.0
    let labelWidth = 150.0
    let barWidth = 330.0
    let rowHeight = 30.0
    let legendY = 14.0 + Double(figures.count) * rowHeight
    let height = legendY + 26
    let largest = Double(max(figures.map(\.recipients).max() ?? 0, 1))
    var svg = open(width: width, height: height, label: "Nået pr. målgruppe")
    for (row, audience) in figures.enumerated() {
      let y = 8 + Double(row) * rowHeight
      svg += text(
        audience.audience, x: labelWidth - 8, y: y + 15, anchor: "end", weight: "bold")
      var x = labelWidth
      for state in states {
        let count = state.count(audience)
        guard count > 0 else { continue }
        let length = barWidth * Double(count) / largest
        svg += """
          <rect x="\(number(x))" y="\(number(y))" width="\(number(length))" height="20" \
          fill="\(state.colour)"><title>\(ReportHTML.escape(audience.audience)): \(count) \
          \(state.label)</title></rect>
          """
        x += length
      }
      if audience.recipients == 0 {
        svg += """
          <rect x="\(number(labelWidth))" y="\(number(y))" width="\(number(barWidth))" \
          height="20" fill="none" stroke="#bbb" stroke-dasharray="4 3"/>
          """
      }
      svg += text(
        "\(audience.reached) af \(audience.recipients) nået "
          + "(\(ReportText.percent(audience.reached, of: audience.recipients)))",
        x: labelWidth + barWidth + 10, y: y + 15)
    }
    var x = labelWidth
    for state in states {
      svg += """
        <rect x="\(number(x))" y="\(number(legendY))" width="12" height="12" \
        fill="\(state.colour)"/>
        """
      svg += text(state.label, x: x + 16, y: legendY + 11)
      x += 24 + Double(state.label.count) * 7.5
    }
    return svg + "</svg>"
  }

  /// People reached over time, cumulative, one step line per audience, from
  /// `start` (the message's acceptance, or the period's first message).
  /// `relative` labels the time axis as time since `start`, else as clock times.
  static func timeline(_ figures: [AudienceFigures], start: Date, relative: Bool) -> String {
    let width = 680.0
    let height = 280.0
    let left = 56.0
    let right = 24.0
    let top = 16.0
    let plotWidth = width - left - right
    let plotHeight = 190.0
    let bottom = top + plotHeight
    let last = figures.compactMap(\.reachedTimes.last).max()
    // A little room after the last arrival, so the lines end inside the plot.
    let span = niceSpan(max(last.map { $0.timeIntervalSince(start) } ?? 0, 1) * 1.02)
    let step = niceStep(max(figures.map(\.recipients).max() ?? 0, 1))
    let highest =
      step * Int((Double(max(figures.map(\.recipients).max() ?? 0, 1)) / Double(step)).rounded(.up))
    var svg = open(width: width, height: height, label: "Tidslinje over nåede personer")
    func xPosition(_ seconds: Double) -> Double { left + plotWidth * min(seconds, span) / span }
    func yPosition(_ count: Int) -> Double {
      bottom - plotHeight * Double(count) / Double(highest)
    }
    // Grid and axes.
    for count in stride(from: 0, through: highest, by: step) {
      let y = yPosition(count)
      svg += line(x1: left, y1: y, x2: left + plotWidth, y2: y, stroke: "#e0e0e0")
      svg += text(String(count), x: left - 6, y: y + 4, anchor: "end")
    }
    for tick in 0...4 {
      let seconds = span * Double(tick) / 4
      let x = xPosition(seconds)
      svg += line(x1: x, y1: bottom, x2: x, y2: bottom + 4, stroke: "#555")
      let label =
        relative
        ? axisDuration(seconds)
        : ReportText.clock(start.addingTimeInterval(seconds), span: span)
      svg += text(
        label, x: x, y: bottom + 18, anchor: tick == 0 ? "start" : tick == 4 ? "end" : "middle")
    }
    svg += line(x1: left, y1: bottom, x2: left + plotWidth, y2: bottom, stroke: "#555")
    svg += line(x1: left, y1: top, x2: left, y2: bottom, stroke: "#555")
    if last == nil {
      svg += text(
        "Ingen leveret endnu", x: left + plotWidth / 2, y: top + plotHeight / 2,
        anchor: "middle")
    }
    // One step line per audience, and the legend.
    var legendX = left
    for (index, audience) in figures.enumerated() {
      let colour = palette[index % palette.count]
      let points = steps(
        audience.reachedTimes.map { $0.timeIntervalSince(start) }, span: span,
        columns: Int(plotWidth)
      ).map { "\(number(xPosition($0.seconds))),\(number(yPosition($0.count)))" }
      svg += """
        <polyline points="\(points.joined(separator: " "))" fill="none" stroke="\(colour)" \
        stroke-width="2"><title>\(ReportHTML.escape(audience.audience)): \(audience.reached) \
        af \(audience.recipients) nået</title></polyline>
        """
      let legendY = height - 22
      svg += line(x1: legendX, y1: legendY, x2: legendX + 18, y2: legendY, stroke: colour)
      svg += text(audience.audience, x: legendX + 24, y: legendY + 4)
      legendX += 40 + Double(audience.audience.count) * 7.5
    }
    return svg + "</svg>"
  }

  /// The corners of a cumulative step line through `seconds` (ascending):
  /// exact when short, else at most one step per pixel column.
  static func steps(_ seconds: [Double], span: Double, columns: Int)
    -> [(seconds: Double, count: Int)]
  {
    var points: [(seconds: Double, count: Int)] = [(0, 0)]
    if seconds.count <= 2 * columns {
      for (index, time) in seconds.enumerated() {
        points.append((time, index))
        points.append((time, index + 1))
      }
    } else {
      var count = 0
      for column in 1...columns {
        let until = span * Double(column) / Double(columns)
        var next = count
        while next < seconds.count, seconds[next] <= until { next += 1 }
        if next != count {
          points.append((until, count))
          points.append((until, next))
          count = next
        }
      }
    }
    points.append((span, seconds.count))
    return points
  }

  /// A round span at least `seconds` long, whose quarters are round times.
  static func niceSpan(_ seconds: Double) -> Double {
    let spans: [Double] = [
      4, 8, 20, 40, 60, 80, 120, 240, 480, 600, 1200, 2400, 3600, 7200, 14_400, 28_800, 43_200,
      86_400, 172_800, 345_600, 604_800,
    ]
    return spans.first { $0 >= seconds } ?? (seconds / 86_400).rounded(.up) * 86_400
  }

  /// A round step (1, 2 or 5 times a power of ten) for at most about five
  /// grid lines up to `highest`.
  static func niceStep(_ highest: Int) -> Int {
    var scale = 1
    while true {
      for factor in [1, 2, 5] where highest <= factor * scale * 5 { return factor * scale }
      scale *= 10
    }
  }

  /// Time since the start on the axis: `0`, `+15 s`, `+2 min`, `+1 t 30 min`.
  static func axisDuration(_ seconds: Double) -> String {
    let whole = Int(seconds.rounded())
    switch whole {
    case 0: return "0"
    case ..<60: return "+\(whole) s"
    case ..<3600:
      return whole % 60 == 0 ? "+\(whole / 60) min" : "+\(whole / 60) min \(whole % 60) s"
    default:
      return whole % 3600 == 0
        ? "+\(whole / 3600) t" : "+\(whole / 3600) t \((whole % 3600) / 60) min"
    }
  }

  static func open(width: Double, height: Double, label: String) -> String {
    """
    <svg viewBox="0 0 \(number(width)) \(number(height))" width="\(number(width))" \
    height="\(number(height))" role="img" aria-label="\(ReportHTML.escape(label))" \
    font-family="sans-serif" font-size="12">
    """
  }

  static func text(
    _ content: String, x: Double, y: Double, anchor: String = "start", weight: String = "normal"
  ) -> String {
    """
    <text x="\(number(x))" y="\(number(y))" text-anchor="\(anchor)" font-weight="\(weight)" \
    fill="#222">\(ReportHTML.escape(content))</text>
    """
  }

  static func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String) -> String {
    """
    <line x1="\(number(x1))" y1="\(number(y1))" x2="\(number(x2))" y2="\(number(y2))" \
    stroke="\(stroke)"/>
    """
  }

  /// A coordinate with one decimal, always with a decimal point.
  static func number(_ value: Double) -> String { String(format: "%.1f", value) }
}
