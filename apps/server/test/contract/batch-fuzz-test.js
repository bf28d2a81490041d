// The batch route answers each event on its own (DOMAIN.md §2, and the operation's description):
// a fuzzed batch is refused whole (422, the batch's own shape is wrong) or answered 200 with the
// fuzzed event's own 422 in results. Either way nothing is recorded and the body is the envelope.
pm.test('[POST]::/v1/processor/events/batch - fuzzed batch: whole-batch 422, or 200 with a per-event 422', function () {
  const body = pm.response.json();
  if (pm.response.code === 422) {
    pm.expect(body.success).to.equal(false);
    pm.expect(body.error.code).to.equal('VALIDATION_ERROR');
    pm.expect(body.meta.request_id).to.be.a('string');
  } else {
    pm.expect(pm.response.code).to.equal(200);
    pm.expect(body.success).to.equal(true);
    pm.expect(body.data.results.map(function (result) { return result.status; })).to.eql([422]);
    pm.expect(body.data.results[0].success).to.equal(false);
    pm.expect(body.data.results[0].error.code).to.be.oneOf(['VALIDATION_ERROR', 'EVENT_INVALID_TYPE', 'EVENT_INVALID_FEE']);
    pm.expect(body.data.summary).to.eql({ created: 0, idempotent: 0, conflicts: 0, rejected: 1 });
  }
});
