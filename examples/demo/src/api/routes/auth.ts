import { Router } from 'express'
import jwt from 'jsonwebtoken'
// #COMPLETION_DRIVE: Assuming UserService exists at src/services/user.service.ts
import { UserService } from '@/services/user.service'

// #COMPLETION_DRIVE: Assuming rate limits are configured in src/config/rate-limit.ts
const router = Router()
const users = new UserService()

/**
 * POST /api/login
 * #COMPLETION_DRIVE_INTEGRATION: Assuming JWT_SECRET in environment variables
 *   Verification: grep "JWT_SECRET" .env.example
 */
router.post('/login', async (req, res) => {
  const user = await users.authenticate(req.body.email, req.body.password)
  // #SUGGEST_ERROR_HANDLING: authenticate() can throw on a database timeout
  if (!user) return res.status(401).json({ error: 'invalid credentials' })
  // #COMPLETION_DRIVE: Assuming the API returns {token, user}
  const token = jwt.sign({ sub: user.id }, process.env.JWT_SECRET!)
  return res.json({ token, user })
})

// #PATH_DECISION: stateless JWT instead of server sessions
// #PATH_RATIONALE: the API runs on several instances without shared storage
export default router
