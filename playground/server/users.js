// @ts-check
// No Node imports here: the playground's browser code imports this file to list the demo accounts.

/**
 * @typedef {object} PublicUser
 * @property {string} id
 * @property {string} name
 * @property {string[]} roles
 */

/**
 * @typedef {PublicUser & { username: string, password: string }} DemoUser
 */

/**
 * The demo accounts. Their passwords are public on purpose (the playground shows them); a real
 * server stores only a slow hash (argon2, scrypt, bcrypt) of each password.
 *
 * @type {readonly DemoUser[]}
 */
export const demoUsers = Object.freeze([
  { id: 'alice', username: 'alice', password: 'alice-password', name: 'Alice', roles: ['user'] },
  {
    id: 'admin',
    username: 'admin',
    password: 'admin-password',
    name: 'Ada Admin',
    roles: ['user', 'admin'],
  },
])

/**
 * @param {string} username
 * @returns {DemoUser | undefined}
 */
export function findUserByUsername(username) {
  return demoUsers.find((user) => user.username === username)
}

/**
 * @param {string} id
 * @returns {DemoUser | undefined}
 */
export function findUserById(id) {
  return demoUsers.find((user) => user.id === id)
}

/**
 * The user as the API shows it: never the password.
 *
 * @param {DemoUser} user
 * @returns {PublicUser}
 */
export function toPublicUser({ id, name, roles }) {
  return { id, name, roles: [...roles] }
}
