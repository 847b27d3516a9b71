/**
 * The test directory's configuration (cn=config) and base entries, as LDIF. The ACLs are the ones
 * docs/connectors/ldap.md recommends; keep the two in step.
 */
export const SUFFIX = 'dc=custos,dc=test';
export const ROOT_DN = `cn=root,${SUFFIX}`;
export const ADMIN_DN = `cn=custos-admin,${SUFFIX}`;
export const POLICY_DN = `cn=default,ou=policies,${SUFFIX}`;
/** The placeholder member every test group starts with (groupOfNames needs one member). */
export const NOBODY_DN = `cn=nobody,${SUFFIX}`;

const SCHEMA_DIR = process.env.CUSTOS_LDAP_SCHEMA_DIR ?? '/etc/ldap/schema';
const MODULE_DIR = process.env.CUSTOS_LDAP_MODULE_DIR ?? '/usr/lib/ldap';

export function configLdif(dir: string, rootHash: string): string {
  const schemas = ['core', 'cosine', 'nis', 'inetorgperson'].map(
    (s) => `include: file://${SCHEMA_DIR}/${s}.ldif`,
  );
  return `dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: ${dir}/slapd.pid
olcPasswordHash: {SSHA}

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: ${MODULE_DIR}
olcModuleLoad: back_mdb
olcModuleLoad: memberof
olcModuleLoad: refint
olcModuleLoad: ppolicy

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

${schemas.join('\n\n')}

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by * none

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcSuffix: ${SUFFIX}
olcRootDN: ${ROOT_DN}
olcRootPW: ${rootHash}
olcDbDirectory: ${dir}/data
olcDbMaxSize: 268435456
olcDbNoSync: TRUE
olcDbIndex: objectClass eq
olcDbIndex: member eq
olcDbIndex: ou eq
olcDbIndex: seeAlso eq
olcAccess: {0}to * by set="user/pwdAccountLockedTime" none by set="user/objectClass" break by users none by * break
olcAccess: {1}to attrs=userPassword by dn.exact="${ADMIN_DN}" manage by anonymous auth by * none
olcAccess: {2}to dn.regex="(^|,)ou=custos-journal," by dn.exact="${ADMIN_DN}" manage by * none
olcAccess: {3}to * by dn.exact="${ADMIN_DN}" manage by users read by * none

dn: olcOverlay={0}memberof,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcMemberOf
olcOverlay: {0}memberof
olcMemberOfRefInt: TRUE

dn: olcOverlay={1}refint,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcRefintConfig
olcOverlay: {1}refint
olcRefintAttribute: member
olcRefintNothing: ${NOBODY_DN}

dn: olcOverlay={2}ppolicy,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcPPolicyConfig
olcOverlay: {2}ppolicy
olcPPolicyDefault: ${POLICY_DN}
`;
}

export function baseLdif(adminHash: string): string {
  return `dn: ${SUFFIX}
objectClass: dcObject
objectClass: organization
dc: custos
o: custos

dn: ${ADMIN_DN}
objectClass: applicationProcess
objectClass: simpleSecurityObject
cn: custos-admin
userPassword: ${adminHash}

dn: ${NOBODY_DN}
objectClass: applicationProcess
cn: nobody

dn: ou=policies,${SUFFIX}
objectClass: organizationalUnit
ou: policies

dn: ${POLICY_DN}
objectClass: applicationProcess
objectClass: pwdPolicy
cn: default
pwdAttribute: userPassword
pwdLockout: TRUE
`;
}
