import Foundation
import Testing

@testable import CommsCore

/// `Markup`: text interpolated into a page is escaped, markup is not, so
/// nothing from outside (a subject, a name, a reply) becomes markup.
@Suite struct MarkupTests {
  @Test func interpolatedTextIsEscaped() {
    let subject = "<script>alert(\"x\" + 'y')</script> & more"
    let row: Markup = "<td>\(subject)</td>"
    #expect(
      row.html
        == "<td>&lt;script&gt;alert(&quot;x&quot; + &#39;y&#39;)&lt;/script&gt; &amp; more</td>")
    #expect(row.description == row.html)
    // Substrings too; the literal parts are kept as written.
    let part = subject.prefix(8)
    let cell: Markup = "<b class=\"x\">\(part)</b>"
    #expect(cell.html == "<b class=\"x\">&lt;script&gt;</b>")
    // An entity already in the text is text: its ampersand is escaped again.
    let entity: Markup = "\("&amp; &#39;")"
    #expect(entity.html == "&amp;amp; &amp;#39;")
    // Text without special characters, numbers and letters beyond ASCII are kept.
    let plain: Markup = "<p>\("Æblegrød på tirsdag 🚨") \(42) \(-7)</p>"
    #expect(plain.html == "<p>Æblegrød på tirsdag 🚨 42 -7</p>")
  }

  @Test func escapeCoversEverySpecialCharacterOnce() {
    #expect(Markup.escape("<script>\"'&") == "&lt;script&gt;&quot;&#39;&amp;")
    #expect(Markup.escape("") == "")
    #expect(Markup.escape("a\u{0301}&b") == "a\u{0301}&amp;b", "a combining mark before &")
  }

  @Test func interpolatedMarkupIsNotEscaped() {
    let inner: Markup = "<td>\("a<b")</td>"
    let outer: Markup = "<tr>\(inner)</tr>"
    #expect(outer.html == "<tr><td>a&lt;b</td></tr>")
    let none: Markup? = nil
    let some: Markup? = "<i>x</i>"
    let optional: Markup = "[\(none)][\(some)]"
    #expect(optional.html == "[][<i>x</i>]")
    let literal: Markup = "<em>as is & unescaped</em>"
    #expect(literal.html == "<em>as is & unescaped</em>")
  }

  @Test func arraysOfMarkupAreJoinedInOrder() {
    let names = ["Anne", "<Bo>", "C&C"]
    let items: [Markup] = names.map { "<li>\($0)</li>" }
    let list: Markup = "<ul>\(items)</ul>"
    #expect(list.html == "<ul><li>Anne</li><li>&lt;Bo&gt;</li><li>C&amp;C</li></ul>")
    let empty: [Markup] = []
    let nothing: Markup = "<ul>\(empty)</ul>"
    #expect(nothing.html == "<ul></ul>")
    #expect(Markup.joined(items).html == "<li>Anne</li><li>&lt;Bo&gt;</li><li>C&amp;C</li>")
    #expect(Markup.joined([]).html == "")
    var sum: Markup = "<a>"
    sum += "<b>"
    sum += "<c>"
    #expect(sum.html == "<a><b><c>")
  }

  @Test func paragraphsSplitAtBlankLinesAndBreakWithin() {
    let text = "Første linje\nanden <linje>\n\nNyt & afsnit"
    #expect(
      Markup.paragraphs(text).html
        == "<p>Første linje<br>anden &lt;linje&gt;</p><p>Nyt &amp; afsnit</p>")
    #expect(Markup.paragraphs("ét afsnit").html == "<p>ét afsnit</p>")
    #expect(Markup.paragraphs("").html == "<p></p>")
    // Three new lines: a paragraph break, then a break at the start of the next.
    #expect(Markup.paragraphs("a\n\n\nb").html == "<p>a</p><p><br>b</p>")
    // A <br> in the text stays text.
    #expect(Markup.paragraphs("x<br>y").html == "<p>x&lt;br&gt;y</p>")
  }

  /// A browser posts a textarea's line breaks as CRLF, so a message
  /// written in the console is stored with them: its blank lines should
  /// still part paragraphs, and no stray carriage return stay behind.
  @Test func paragraphsOfTextWithCRLFLineBreaks() {
    let html = Markup.paragraphs("Første linje\r\nanden\r\n\r\nNyt afsnit").html
    #expect(html.contains("Første linje"), "the text is kept either way")
    #expect(html == "<p>Første linje<br>anden</p><p>Nyt afsnit</p>")
  }

  @Test func identifiersAreEscaped() {
    let id = MessageID(rawValue: "msg_01KBX6QW1M8V7Y2D3E4F5G6H7J")
    let link: Markup = "<a href=\"/console/messages/\(id)\">\(id)</a>"
    #expect(
      link.html
        == "<a href=\"/console/messages/msg_01KBX6QW1M8V7Y2D3E4F5G6H7J\">msg_01KBX6QW1M8V7Y2D3E4F5G6H7J</a>"
    )
    // An id from outside is not trusted: it cannot close the attribute.
    let hostile = MessageID(rawValue: "msg_\"><script>x</script>")
    let bad: Markup = "<a href=\"/console/messages/\(hostile)\">"
    #expect(
      bad.html == "<a href=\"/console/messages/msg_&quot;&gt;&lt;script&gt;x&lt;/script&gt;\">")
    let draft = DraftID(rawValue: "drf_<'&'>")
    let inquiry = InquiryID(rawValue: "inq_<'&'>")
    let both: Markup = "\(draft) \(inquiry)"
    #expect(both.html == "drf_&lt;&#39;&amp;&#39;&gt; inq_&lt;&#39;&amp;&#39;&gt;")
  }
}
