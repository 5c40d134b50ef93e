/**
 * The only place that knows Firestore paths. Every other layer asks here.
 *
 * Collections (see DESIGN.md, "Data"):
 *   customers/{customerId}                      credit file head: what its sales rep reads (status, class, limits, exposure, aging)
 *   customers/{customerId}/private/creditState  the rest of the credit file: score, ledger state, flags, alerts (confidential)
 *   customers/{customerId}/private/financials   statements and ratios (confidential)
 *   customers/{customerId}/private/assessment   score, factors, reason codes, fraud signals (confidential)
 *   customers/{customerId}/private/contacts     contact persons (personal data)
 *   customers/{customerId}/transactions/{txId}  orders, invoices, payments, credit notes
 *   customers/{customerId}/ledger/{txId}        applied state of one transaction (idempotency, exact reversal)
 *   customers/{customerId}/reviews/{reviewId}   assessment history (one per review)
 *   customers/{customerId}/statusChanges/{id}   a person's status decisions, each with its decision memo
 *   applications/{applicationId}
 *   applications/{applicationId}/private/assessment  the department's review (not for the applicant)
 *   limitRequests/{limitRequestId}
 *   applicants/{uid}                             an applicant's open applications (count)
 *   confidentialityAcks/{uid}                    who acknowledged which confidentiality policy version, until when
 *   trainingRecords/{id}                         staff training (course, completion)
 *   orderBlocks/{blockId}                        orders blocked at the order check, for a person to release or reject
 *   creditGroups/{groupId}                       a credit group: its limit, members and each member's claim on it
 *   disputes/{disputeId}                         disputes of invoices, open and resolved, with their decision memo
 *   termsChanges/{termsChangeId}                 requests to change payment terms and their decision (four eyes)
 *   classOverrides/{overrideId}                  a manager's documented overrides of a customer's class
 *   alerts/{alertId}
 *   reports/{yyyy-mm}                            the portfolio report's monthly snapshot (the monthly job)
 *   simulations/{simulationId}                   a policy what-if run as a job, with its progress and answer
 *   audit/{chainId}                              chain head (seq, hash)
 *   audit/{chainId}/entries/{seq}               append-only, hash-chained entries
 *   config/creditPolicy                          the credit policy
 *   config/fxRates                               the FX table (rates against a base currency), edited by admins
 *   config/workQueues                            the work queues' bookkeeping (shards assigned, the policy the monitor's dates follow)
 *   backups/{backupId}                           backup runs
 *   requests/{requestKey}                        idempotency records of callables (requestId)
 *   identities/{kind_value}                      identity index for fraud checks
 *   invoiceOwners/{invoiceExternalId}            which customer an invoice's external id belongs to
 *   processedEvents/{key}                        trigger/task dedupe markers
 */
export const COLLECTIONS = {
  customers: "customers",
  applications: "applications",
  limitRequests: "limitRequests",
  orderBlocks: "orderBlocks",
  creditGroups: "creditGroups",
  confidentialityAcks: "confidentialityAcks",
  applicants: "applicants",
  trainingRecords: "trainingRecords",
  disputes: "disputes",
  termsChanges: "termsChanges",
  classOverrides: "classOverrides",
  alerts: "alerts",
  reports: "reports",
  simulations: "simulations",
  audit: "audit",
  config: "config",
  backups: "backups",
  requests: "requests",
  identities: "identities",
  invoiceOwners: "invoiceOwners",
  processedEvents: "processedEvents",
} as const;

export const CUSTOMER_SUBCOLLECTIONS = {
  private: "private",
  transactions: "transactions",
  ledger: "ledger",
  reviews: "reviews",
  statusChanges: "statusChanges",
} as const;

export const PRIVATE_DOCS = {
  financials: "financials",
  assessment: "assessment",
  contacts: "contacts",
  creditState: "creditState",
} as const;

export const AUDIT_ENTRIES = "entries";

export const paths = {
  customer: (customerId: string) => `${COLLECTIONS.customers}/${customerId}`,
  customerPrivate: (customerId: string, doc: keyof typeof PRIVATE_DOCS) =>
    `${COLLECTIONS.customers}/${customerId}/${CUSTOMER_SUBCOLLECTIONS.private}/${PRIVATE_DOCS[doc]}`,
  transactions: (customerId: string) =>
    `${COLLECTIONS.customers}/${customerId}/${CUSTOMER_SUBCOLLECTIONS.transactions}`,
  transaction: (customerId: string, txId: string) =>
    `${COLLECTIONS.customers}/${customerId}/${CUSTOMER_SUBCOLLECTIONS.transactions}/${txId}`,
  ledgerEntry: (customerId: string, txId: string) =>
    `${COLLECTIONS.customers}/${customerId}/${CUSTOMER_SUBCOLLECTIONS.ledger}/${txId}`,
  reviews: (customerId: string) => `${COLLECTIONS.customers}/${customerId}/${CUSTOMER_SUBCOLLECTIONS.reviews}`,
  statusChanges: (customerId: string) =>
    `${COLLECTIONS.customers}/${customerId}/${CUSTOMER_SUBCOLLECTIONS.statusChanges}`,
  application: (applicationId: string) => `${COLLECTIONS.applications}/${applicationId}`,
  applicationAssessment: (applicationId: string) => `${COLLECTIONS.applications}/${applicationId}/private/assessment`,
  limitRequest: (limitRequestId: string) => `${COLLECTIONS.limitRequests}/${limitRequestId}`,
  orderBlock: (blockId: string) => `${COLLECTIONS.orderBlocks}/${blockId}`,
  creditGroup: (groupId: string) => `${COLLECTIONS.creditGroups}/${groupId}`,
  dispute: (disputeId: string) => `${COLLECTIONS.disputes}/${disputeId}`,
  termsChange: (termsChangeId: string) => `${COLLECTIONS.termsChanges}/${termsChangeId}`,
  classOverride: (overrideId: string) => `${COLLECTIONS.classOverrides}/${overrideId}`,
  alert: (alertId: string) => `${COLLECTIONS.alerts}/${alertId}`,
  report: (period: string) => `${COLLECTIONS.reports}/${period}`,
  simulation: (simulationId: string) => `${COLLECTIONS.simulations}/${simulationId}`,
  auditChain: (chainId: string) => `${COLLECTIONS.audit}/${chainId}`,
  auditEntries: (chainId: string) => `${COLLECTIONS.audit}/${chainId}/${AUDIT_ENTRIES}`,
  policy: () => `${COLLECTIONS.config}/creditPolicy`,
  fxRates: () => `${COLLECTIONS.config}/fxRates`,
  fxRatesLastGood: () => `${COLLECTIONS.config}/fxRatesLastGood`,
  /** The work queues' bookkeeping (services/workQueues.ts); no client reads it. */
  workQueues: () => `${COLLECTIONS.config}/workQueues`,
  /** The confidentiality policy version in force, for the security rules (readable by every signed-in user). */
  confidentialityVersion: () => `${COLLECTIONS.config}/confidentiality`,
  confidentialityAck: (uid: string) => `${COLLECTIONS.confidentialityAcks}/${uid}`,
  /** An applicant's count of open applications (the policy bounds it). */
  applicant: (uid: string) => `${COLLECTIONS.applicants}/${uid}`,
  trainingRecord: (id: string) => `${COLLECTIONS.trainingRecords}/${id}`,
  backup: (backupId: string) => `${COLLECTIONS.backups}/${backupId}`,
  request: (key: string) => `${COLLECTIONS.requests}/${key}`,
  identity: (key: string) => `${COLLECTIONS.identities}/${key}`,
  invoiceOwner: (invoiceExternalId: string) => `${COLLECTIONS.invoiceOwners}/${invoiceExternalId}`,
  processedEvent: (key: string) => `${COLLECTIONS.processedEvents}/${key}`,
};

/** Audit chain ids: one chain per customer, per application, per credit group, and one for system-wide actions. */
export const auditChainId = {
  customer: (customerId: string) => `customer_${customerId}`,
  application: (applicationId: string) => `application_${applicationId}`,
  group: (groupId: string) => `group_${groupId}`,
  system: () => "system",
};

/**
 * Every collection that holds credit data, with the subcollections under its documents.
 * Used by the logical backup (the in-process Firestore cannot list collections).
 */
export const DATA_TREE: ReadonlyArray<{
  collection: string;
  subcollections?: readonly string[];
  nested?: Record<string, readonly string[]>;
}> = [
  { collection: COLLECTIONS.customers, subcollections: Object.values(CUSTOMER_SUBCOLLECTIONS) },
  { collection: COLLECTIONS.applications, subcollections: ["private"] },
  { collection: COLLECTIONS.limitRequests },
  { collection: COLLECTIONS.orderBlocks },
  { collection: COLLECTIONS.creditGroups },
  { collection: COLLECTIONS.confidentialityAcks },
  { collection: COLLECTIONS.applicants },
  { collection: COLLECTIONS.trainingRecords },
  { collection: COLLECTIONS.disputes },
  { collection: COLLECTIONS.termsChanges },
  { collection: COLLECTIONS.classOverrides },
  { collection: COLLECTIONS.alerts },
  { collection: COLLECTIONS.reports },
  { collection: COLLECTIONS.simulations },
  { collection: COLLECTIONS.audit, subcollections: [AUDIT_ENTRIES] },
  { collection: COLLECTIONS.config },
  { collection: COLLECTIONS.backups },
  { collection: COLLECTIONS.requests },
  { collection: COLLECTIONS.identities },
  { collection: COLLECTIONS.invoiceOwners },
  { collection: COLLECTIONS.processedEvents },
];
