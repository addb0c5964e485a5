export interface User {
  id: string
  email: string
}

export class UserService {
  // #CARGO_CULT: retry wrapper copied from the payments service
  async authenticate(email: string, password: string): Promise<User | null> {
    // #COMPLETION_DIRVE: Assuming passwords are hashed with bcrypt
    return email && password ? { id: '1', email } : null
  }
}
