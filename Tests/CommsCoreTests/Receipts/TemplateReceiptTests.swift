import Foundation
import Testing

@testable import CommsCore

/// A `template` gateway's receipts, read by the endpoint's mapping, and the
/// HTTP Basic credentials such a gateway may send.
@Suite struct TemplateReceiptTests {
  let json = TemplateReceiptMapping(
    contentType: .json, reference: "data.client_ref", status: "data.status",
    delivered: ["DELIVRD", "Delivered"], undeliverable: ["UNDELIV", "EXPIRED"],
    time: "data.done_at",
    error: "data.error")

  @Test func aJSONReceiptIsReadByItsDottedFields() throws {
    let body =
      #"{"data": {"client_ref": "dlv_01KBX6QW1M8V7Y2D3E4F5G6H7J", "status": "delivrd", "done_at": "2026-12-03T06:00:00+01:00"}}"#
    let receipt = try TemplateReceipt.read(Array(body.utf8), mapping: json)
    #expect(
      receipt
        == Receipt(
          deliveryID: "dlv_01KBX6QW1M8V7Y2D3E4F5G6H7J", providerRef: nil, result: .delivered,
          status: "delivrd", providerTime: Date(timeIntervalSince1970: 1_796_274_000)))
    let failed =
      #"{"data": {"client_ref": "dlv_1", "status": "EXPIRED", "error": "absent subscriber", "done_at": 1764738000250}}"#
    let undeliverable = try TemplateReceipt.read(Array(failed.utf8), mapping: json)
    #expect(undeliverable.result == .undeliverable(reason: "EXPIRED absent subscriber"))
    #expect(undeliverable.providerTime == Date(timeIntervalSince1970: 1_764_738_000.25))
    // A status in neither list is on its way; an unreadable time is left to the arrival.
    let queued = #"{"data": {"client_ref": "dlv_1", "status": "ENROUTE", "done_at": "yesterday"}}"#
    let pending = try TemplateReceipt.read(Array(queued.utf8), mapping: json)
    #expect(pending.result == .pending && pending.providerTime == nil)
  }

  @Test func aFormReceiptIsReadByItsFieldNames() throws {
    let form = TemplateReceiptMapping(
      contentType: .form, reference: "ref", status: "stat", delivered: ["DELIVRD"],
      undeliverable: ["UNDELIV"], time: "ts")
    let receipt = try TemplateReceipt.read(
      Array("ref=dlv_7&stat=UNDELIV&ts=1764738000".utf8), mapping: form)
    #expect(receipt.deliveryID == "dlv_7" && receipt.result == .undeliverable(reason: "UNDELIV"))
    #expect(receipt.providerTime == Date(timeIntervalSince1970: 1_764_738_000))
  }

  @Test func aReceiptWithoutItsFieldsIsRefusedNamingThem() {
    for (body, named) in [
      ("not json", "not JSON"),
      (#"{"data": {"status": "delivrd"}}"#, "data.client_ref"),
      (#"{"data": {"client_ref": "dlv_1"}}"#, "data.status"),
      (#"{"data": {"client_ref": "dlv_1\n", "status": "delivrd"}}"#, "data.client_ref"),
      (#"[{"data": 1}]"#, "data.client_ref"),
    ] {
      #expect {
        try TemplateReceipt.read(Array(body.utf8), mapping: json)
      } throws: { error in
        (error as? ReceiptRefusal)?.kind == .malformed
          && "\(error)".contains(named)
      }
    }
  }

  @Test func timesOutsideTwoThousandToTwentyOneHundredAreNotTaken() {
    #expect(TemplateReceipt.time(0) == nil)
    #expect(TemplateReceipt.time(Double.infinity) == nil)
    #expect(TemplateReceipt.time("99999999999999999999999") == nil)
    #expect(TemplateReceipt.time("2150-01-01T00:00:00Z") == nil)
    #expect(
      TemplateReceipt.time("2026-12-03T05:00:00.5Z") == Date(timeIntervalSince1970: 1_796_274_000.5)
    )
    #expect(TemplateReceipt.time(true) == nil)
  }

  @Test func basicCredentialsAreReadAsRFC7617WritesThem() {
    // RFC 7617 §2's example: Aladdin / open sesame.
    #expect(
      BasicCredentials("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
        == BasicCredentials(user: "Aladdin", password: "open sesame"))
    #expect(BasicCredentials("basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")?.user == "Aladdin")
    #expect(BasicCredentials("Bearer QWxhZGRpbjpvcGVuIHNlc2FtZQ==") == nil)
    #expect(BasicCredentials("Basic not-base64!") == nil)
    #expect(BasicCredentials("Basic " + Data("no colon".utf8).base64EncodedString()) == nil)
    #expect(BasicCredentials(nil) == nil)
  }
}

extension BasicCredentials {
  init(user: String, password: String) {
    self.init("Basic " + Data("\(user):\(password)".utf8).base64EncodedString())!
  }
}
