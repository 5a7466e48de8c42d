// #region client
import { ClientError, GraphQLClient, gql } from 'graphql-request'
import { auth } from './main' // where createAuth() runs

// graphql-request needs an absolute URL. At module level, before the app exists, use the plugin's
// fetchWithAuth; inside the app, useFetchWithAuth() returns the same function.
export const graphql = new GraphQLClient(new URL('/api/graphql', location.origin).href, {
  fetch: auth.fetchWithAuth,
})

export async function loadMe() {
  try {
    const { me } = await graphql.request<MeQuery>(gql`
      query Me {
        me {
          id
          name
        }
      }
    `)
    return me
  } catch (error) {
    // HTTP errors, a 401 still 401 after the replay included, are graphql-request's ClientError.
    if (error instanceof ClientError && error.response.status === 401) return null
    throw error // an AuthError when the session failed
  }
}
// #endregion client

interface MeQuery {
  me: { id: string; name: string }
}
