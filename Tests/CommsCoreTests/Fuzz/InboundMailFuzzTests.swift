import Foundation
import Testing

@testable import CommsCore

extension HostileInputFuzzTests {
  /// `commsd mailgate`'s reader: mutated replies (MIME, encoded-words,
  /// quoted-printable, base64, tags, threads) and random bytes. It never
  /// traps, and what it returns is bounded.
  @Test func inboundMail() {
    let seeds = [
      "From: =?UTF-8?Q?Inger_M=C3=B8ller?= <inger@example.org>\r\nTo: p+dlv_01KB9YQ0W3D2D4Z6X8N1R3T5V7@k.dk\r\nSubject: =?UTF-8?B?U1Y6IEJlc8O4Zw==?=\r\nIn-Reply-To: <dlv_01KB9YQ0W3D2D4Z6X8N1R3T5V7@k.dk>\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nM=C3=A5 vi=\r\n komme?\r\n> citat\r\n",
      "From: a@b.dk\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: multipart/alternative; boundary=y\r\n\r\n--y\r\nContent-Type: text/plain; charset=windows-1252\r\nContent-Transfer-Encoding: base64\r\n\r\nSGVq\r\n--y--\r\n--x--\r\n",
      "From: MAILER-DAEMON@x\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=r\r\nAuto-Submitted: auto-replied\r\n\r\n--r\r\n\r\nfailed\r\n--r--",
      "From: x@y.z\r\n Folded: continued\r\nReferences: <a@b> <dlv_01KB9YQ0W3D2D4Z6X8N1R3T5V7@k> <<<>>>\r\nContent-Type: text/html\r\n\r\n<p>hej<b>du</p>&nbsp;",
      "From x@y Mon Dec  1\nFrom: <>\nSubject: =?=?=?q?==?=\n\n",
    ]
    for input in Self.inputs(seeds, salt: 21) {
      for sender in [nil, "", "bounce@example.org"] {
        guard
          let reply = try? InboundMail.reply(
            input, recipient: "p+dlv_01KB9YQ0W3D2D4Z6X8N1R3T5V7@k.dk", sender: sender)
        else { continue }
        #expect(reply.text.count <= IncomingReply.maxText + 4)
        #expect((3...254).contains(reply.from.utf8.count))
        #expect((reply.subject?.count ?? 0) <= 300)
        #expect((reply.reference?.count ?? 0) <= 200 && reply.thread.count <= 20)
        let subject = reply.subject ?? ""
        #expect(!subject.contains { $0.isNewline })
      }
      _ = MailDecoding.header(String(decoding: input, as: UTF8.self))
    }
  }
}
