import Foundation
import Testing

@testable import CommsCore

/// What an approver reads on the page behind their link.
@Suite struct ApprovalPageTests {
  @Test func aCountedApprovalSaysItDoesNotGoYet() {
    let page = ApprovalPageHTML.render(.counted(votes: 1, required: 2), page: nil, language: "da")
    #expect(page.contains("Din godkendelse er talt med"))
    #expect(page.contains("Godkendt af 1 af 2: beskeden sendes, når flere har godkendt."))
    let english = ApprovalPageHTML.render(
      .decided(.reject, audiences: ["citizens"]), page: nil, language: "en",
      displayNames: ["citizens": "Citizens <all>"])
    #expect(english.contains("It does not go to: Citizens &lt;all&gt;"), "escaped: \(english)")
  }
}
