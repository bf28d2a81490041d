// @trpc/client 11.25's declarations name the DOM's RequestInfo, which @types/node does not
// declare; a Node project without the DOM lib needs this line once skipLibCheck is off.
// The SDK's own declarations need nothing of the DOM.
type RequestInfo = Request | string;
